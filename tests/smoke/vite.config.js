import { defineConfig } from 'vite';

// Top-level await (the package's entry awaits its wasm) needs an ES2022 target.
export default defineConfig({
  build: { target: 'es2022' },
});
