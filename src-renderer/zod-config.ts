// zod compiles fast validators with `new Function` unless told not to; the app's CSP forbids eval (and reports
// even zod's guarded probe as a violation), so the renderer runs zod without it. Imported first by main.tsx.
import { config } from "zod";

config({ jitless: true });
