/** vitest global setup: build dist/ once, before any test file runs, if it is stale (see build.ts). */
import { buildIfStale } from './build.js';

export default function setup(): void {
  buildIfStale();
}
