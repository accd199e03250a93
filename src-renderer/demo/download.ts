// Saves text as a file through the browser's download (Electron shows its save dialog): the transcript's
// Markdown and JSON, the diagram's SVG. A blob URL, so nothing leaves the machine.
export function downloadText(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; the URL is only needed for the click.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60_000);
}
