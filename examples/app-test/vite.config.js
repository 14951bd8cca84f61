// The app imports 'trtc-sdk-v5'; in this build (and its tests) that is trtc-wasm.
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: { alias: { 'trtc-sdk-v5': 'trtc-wasm' } },
});
