/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The window loads `dist/` from disk through Tauri, so paths are relative
// (`base: './'`) and nothing is fetched from elsewhere at run time.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true },
  // Components mounted in tests need Svelte's browser build, not its server one.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Whatever a test replaced with vi.spyOn() is put back after it.
    restoreMocks: true,
  },
}));
