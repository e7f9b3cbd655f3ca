// Making the page's elements: one helper for every screen.

/** A `tag` element with class `cls` and text `text` (either may be left
 *  out: undefined or null). */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
