// Read by vite-plugin-svelte and by svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  // TypeScript in <script lang="ts">.
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Runes everywhere: no legacy `let`-is-state or `$:` semantics.
    runes: true,
  },
};
