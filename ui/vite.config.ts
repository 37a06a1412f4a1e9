import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// `vite --config ui/vite.config.ts` serves the UI with hot reload against a running Corral
// server (self-signed in development, hence secure: false). CORRAL_URL picks which one.
const target = process.env.CORRAL_URL ?? 'https://127.0.0.1:8443';
const proxied = { target, secure: false, changeOrigin: true, ws: true };

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: fileURLToPath(new URL('dist', import.meta.url)), emptyOutDir: true, sourcemap: false },
  server: { proxy: { '/v3': proxied, '/v3-public': proxied, '/k8s': proxied } },
});
