import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build goes into the gateway package, which serves it at /console (gateway/console.py).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../gateway/console_assets', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
  },
})
