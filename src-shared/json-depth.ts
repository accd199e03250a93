// How deep a JSON text nests, counted before parsing it: V8's JSON.parse spends about a microsecond per level of
// nesting (64 KiB of `[` take ~90 ms; 1 MiB over a second), so a reader of outside JSON whose messages are
// shallow refuses a deep one before JSON.parse sees it.

/** Whether `text`'s arrays and objects nest at most `max` deep (brackets inside strings do not count). */
export function nestsWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > max) return false;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return true;
}
