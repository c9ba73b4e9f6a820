/**
 * A stand-in for the Tauri backend in tests, over `@tauri-apps/api/mocks`:
 * each command answers from a handler (a value, or a function of the
 * arguments); a handler that throws makes the command reject with what it
 * threw, as the real backend rejects with an AppError. Every call is
 * recorded, so a test can check what the window asked for.
 */
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { vi } from 'vitest';
import type { AppError } from '../bindings/AppError';

export type Args = Record<string, unknown>;

/** A fixed answer, or a function of the command's arguments. */
export type Handler = ((args: Args) => unknown) | string | number | boolean | object | null;

export interface Call {
  command: string;
  args: Args;
}

/** Installs the handlers (and mocks events); returns the list calls are recorded in. */
export function mockBackend(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (command, payload) => {
      const args = (payload ?? {}) as Args;
      calls.push({ command, args });
      if (!(command in handlers)) {
        throw appError('errors.test.unmocked', `the test mocks no command ${command}`);
      }
      const handler = handlers[command];
      return typeof handler === 'function' ? (handler as (args: Args) => unknown)(args) : handler;
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** An AppError as the backend sends it. */
export function appError(
  code: string,
  message = `${code} (the engine's message)`,
  params: Record<string, string> = {},
  transient = false,
): AppError {
  return { code, message, params, transient };
}

/** The commands called, in order. */
export function commands(calls: readonly Call[]): string[] {
  return calls.map((call) => call.command);
}

/**
 * Lets pending promises (and timers due now) run, a few rounds deep: a
 * mocked command answers after a promise or two. Works under fake timers.
 */
export async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0);
    else await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

export { clearMocks };
