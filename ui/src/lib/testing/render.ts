/**
 * Mounting a component in a test, and finding things in it by the test ids
 * the end-to-end tests rely on.
 */
import { type Component, flushSync, mount, unmount } from 'svelte';
import { settle } from './backend';

let mounted: Array<Record<string, unknown>> = [];

/** Mounts `component` into the document and lets it load. */
export async function render<Props extends Record<string, unknown>>(
  component: Component<Props>,
  props: Props = {} as Props,
): Promise<HTMLElement> {
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(component, { target, props }));
  flushSync();
  await settle();
  flushSync();
  return target;
}

/** Unmounts whatever {@link render} mounted (call after each test). */
export function cleanup(): void {
  for (const instance of mounted) void unmount(instance);
  mounted = [];
  document.body.innerHTML = '';
}

export function byTestId(id: string, within: ParentNode = document): HTMLElement[] {
  return [...within.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

/** The one element with the test id (fails the test if there is not exactly one). */
export function one(id: string, within: ParentNode = document): HTMLElement {
  const found = byTestId(id, within);
  if (found.length !== 1) throw new Error(`expected one [data-testid="${id}"], found ${found.length}`);
  return found[0]!;
}

/** Types into an input as a person would: sets its value and fires `input`. */
export function type(input: HTMLElement, value: string): void {
  (input as HTMLInputElement).value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

export function press(element: HTMLElement, key: string, init: KeyboardEventInit = {}): void {
  element.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
  flushSync();
}

export function click(element: HTMLElement): void {
  element.click();
  flushSync();
}

/** Text with whitespace runs made single spaces. */
export function text(element: HTMLElement): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}
