// What the preview (the fake engine, no real engine behind the page) shares with the screens that mention it.

/** The check code the fake engine's simulated other device shows, so a preview user can type it. */
export const FAKE_CHECK_CODE_HINT = "42";
