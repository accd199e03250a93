// Vite's client types: CSS and asset imports, `new URL(..., import.meta.url)` workers.
/// <reference types="vite/client" />
