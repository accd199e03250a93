// The app's screens arrive with the flow issues; until then the window says what this build can do.
export function App() {
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", margin: "3rem", maxWidth: "40rem" }}>
      <h1>Matrix QR Login</h1>
      <p>
        This build contains the protocol core (QR codec and secure channels for both wire versions) and the
        local development homeserver. The sign-in screens are not built yet.
      </p>
    </main>
  );
}
