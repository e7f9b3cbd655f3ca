// The preview of a slot's last label ([label] in jigd.conf; docs/label.md):
// the SVG jigd draws, fetched with the tab's token (an <img src> of the API
// would go without it) and put in the tile as SVG elements. A blob: or
// data: image would be refused by the page's CSP (default-src 'self'), so
// the SVG is parsed and only the drawing is kept: svg, g, rect and text
// with their plain attributes. Nothing that could run or reach out (a
// script, an on* handler, a link) survives, whatever the response held.
import { el } from "./dom.js";
import { getText } from "./api.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const ELEMENTS = new Set(["svg", "g", "rect", "text"]);
const ATTRIBUTES = new Set(["x", "y", "width", "height", "rx", "viewBox", "fill", "stroke",
  "font-size", "font-weight", "font-family", "shape-rendering", "class", "data-modules",
  "textLength", "lengthAdjust"]);

/** A clean copy of a parsed SVG element, or null for one not kept. */
function copy(node) {
  const name = node.localName;
  if (node.namespaceURI !== SVG_NS || !ELEMENTS.has(name)) return null;
  const out = document.createElementNS(SVG_NS, name);
  for (const a of node.attributes) if (ATTRIBUTES.has(a.name)) out.setAttribute(a.name, a.value);
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.append(child.data);
    else if (child.nodeType === Node.ELEMENT_NODE) {
      const c = copy(child);
      if (c) out.append(c);
    }
  }
  return out;
}

export class LabelPreview {
  constructor(parent) {
    this.root = el("figure", "label-preview");
    this.root.hidden = true;
    this.root.style.margin = "0.4em 0 0";
    this.caption = el("figcaption", "label-caption", "");
    this.root.append(this.caption);
    parent.append(this.root);
    this.serial = null;
  }

  /** The slot as GET /api/v1/slots/{n} gives it: a new label_serial is a
   *  new label to show. */
  update(slot) {
    const serial = slot.label_serial || null;
    if (serial === this.serial) return;
    this.serial = serial;
    if (!serial) {
      this.show(null, "");
      return;
    }
    this.load(slot.slot, serial);
  }

  async load(n, serial) {
    let drawing = null;
    try {
      const doc = new DOMParser().parseFromString(await getText(`/api/v1/slots/${n}/label`),
                                                  "image/svg+xml");
      drawing = copy(doc.documentElement);
    } catch {
      drawing = null;      // no label yet after all, or jigd away: the tile says the rest
    }
    if (serial !== this.serial) return;     // a newer label came meanwhile
    if (!drawing) this.serial = null;       // tried again at the slot's next update
    this.show(drawing, drawing ? `label ${serial}` : "");
  }

  show(drawing, caption) {
    this.root.querySelector("svg")?.remove();
    if (drawing) {
      drawing.setAttribute("width", "100%");
      drawing.removeAttribute("height");
      drawing.setAttribute("role", "img");
      drawing.setAttribute("aria-label", caption);
      this.root.prepend(drawing);
    }
    this.caption.textContent = caption;
    this.root.hidden = !drawing;
  }
}
