// Small helpers shared by the SVG plots: escaping, number formatting and text widths estimated
// without a DOM (so plots are pure strings, in node as in the browser).

/** The font the plots ask for; Liberation Sans and Arial share Helvetica's metrics below. */
export const FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif";

// Advance widths of Helvetica / Arial in 1/1000 em for ASCII 32..126.
// prettier-ignore
const WIDTHS = [
  278,
  278,
  355,
  556,
  556,
  889,
  667,
  191,
  333,
  333,
  389,
  584,
  278,
  333,
  278,
  278, // space ! " # $ % & ' ( ) * + , - . /
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  278,
  278,
  584,
  584,
  584,
  556, // 0-9 : ; < = > ?
  1015,
  667,
  667,
  722,
  722,
  667,
  611,
  778,
  722,
  278,
  500,
  667,
  556,
  833,
  722,
  778, // @ A-O
  667,
  778,
  722,
  667,
  611,
  722,
  667,
  944,
  667,
  667,
  611,
  278,
  278,
  278,
  469,
  556, // P-Z [ \ ] ^ _
  333,
  556,
  556,
  500,
  556,
  556,
  278,
  556,
  556,
  222,
  222,
  500,
  222,
  833,
  556,
  556, // ` a-o
  556,
  556,
  333,
  500,
  278,
  556,
  500,
  722,
  500,
  500,
  500,
  334,
  260,
  334,
  584, // p-z { | } ~
];

/**
 * Estimated width in px of `text` at `fontSize` (bold adds ~7%). Errs wide by `slack` (default 8%),
 * so boxes sized with it hold the text even when the browser substitutes a somewhat wider font.
 */
export function textWidth(text: string, fontSize: number, options: { bold?: boolean; slack?: number } = {}): number {
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    units += code >= 32 && code <= 126 ? WIDTHS[code - 32]! : 640;
  }
  const bold = options.bold ? 1.07 : 1;
  return (units / 1000) * fontSize * bold * (1 + (options.slack ?? 0.08));
}

/** Escapes text for SVG/XML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Coordinates with at most 2 decimals, no trailing zeros. */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A string usable in an XML id: letters, digits, '-', '_'. */
export function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || 'x';
}
