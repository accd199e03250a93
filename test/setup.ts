// Test setup shared by every Vitest project.
// matrix-js-sdk 43 calls Promise.withResolvers, which Node 20 lacks (Electron 45's Node has it).
import "../src-shared/polyfills";
