import { defineConfig } from "vite";

/** Where `npm start` serves the API and the Socket.IO gateway during development. */
const SERVER = process.env.SWITCHBOARD_DEV_SERVER ?? "http://127.0.0.1:3000";

/**
 * The browser client lives in `client/`; `vite build` writes it to `client/dist`, which the server
 * hosts. No React plugin: Vite 8 transforms TSX with its built-in oxc transformer, so JSX is
 * configured here (automatic runtime, imports from `react/jsx-runtime`).
 */
export default defineConfig({
  root: "client",
  base: "/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "react" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: {
      "/api": { target: SERVER, changeOrigin: true },
      "/socket.io": { target: SERVER, ws: true, changeOrigin: true },
    },
  },
  preview: {
    proxy: {
      "/api": { target: SERVER, changeOrigin: true },
      "/socket.io": { target: SERVER, ws: true, changeOrigin: true },
    },
  },
});
