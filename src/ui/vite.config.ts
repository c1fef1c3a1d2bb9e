// Vite build of the wall display: src/ui/web → dist/ui, served by the collector's UI component.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./web'),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: here('../../dist/ui'),
    emptyOutDir: true,
    target: 'es2022',
    // Hashed asset names let the server cache /assets/* forever and index.html not at all.
    assetsDir: 'assets',
  },
  // `vite` dev server: proxy the collector so `npm run dev:ui` works against a running one.
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8082',
      '/login': 'http://127.0.0.1:8082',
      '/ws': { target: 'ws://127.0.0.1:8082', ws: true },
    },
  },
});
