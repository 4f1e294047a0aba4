/**
 * Dragging a rectangle on a machine's screen in the live view: one browser module (served
 * as `/assets/drag.js`) for the tools that take a rectangle there, `bootcheck record`'s
 * "Wait for a screen region" and the references of `bootcheck run --ui`. An overlay over the
 * screen takes the mouse (so nothing reaches the guest), draws the rectangle, and gives it
 * in the screen's own pixels: those of the canvas or image under it, however the page
 * scales it.
 * @module
 */

/** The module (ES, served as /assets/drag.js). */
export const DRAG_SCRIPT = `
const style = document.createElement('style');
style.textContent = \`
.drag-overlay { position: absolute; inset: 0; cursor: crosshair; z-index: 10; background: rgba(9,105,218,.08); }
.drag-box { position: absolute; border: 2px solid #0969da; background: rgba(9,105,218,.15); pointer-events: none; }
\`;
document.head.append(style);

/** The size in screen pixels of a canvas (its backing store) or an image (its natural size). */
export function pixelSize(target) {
  return target instanceof HTMLImageElement ? { width: target.naturalWidth, height: target.naturalHeight } : { width: target.width, height: target.height };
}

/** Screen pixels of a drag from client point a to b over target (a canvas or an image), clamped to the screen; at least 1x1. */
export function dragRect(target, a, b) {
  const r = target.getBoundingClientRect();
  const { width, height } = pixelSize(target);
  const sx = width / r.width, sy = height / r.height;
  const px = (v, lo, s, max) => Math.max(0, Math.min(max, Math.round((v - lo) * s)));
  const x0 = px(Math.min(a[0], b[0]), r.left, sx, width), x1 = px(Math.max(a[0], b[0]), r.left, sx, width);
  const y0 = px(Math.min(a[1], b[1]), r.top, sy, height), y1 = px(Math.max(a[1], b[1]), r.top, sy, height);
  const x = Math.min(x0, width - 1), y = Math.min(y0, height - 1);
  return { x, y, width: Math.max(1, Math.min(width - x, x1 - x0)), height: Math.max(1, Math.min(height - y, y1 - y0)) };
}

/**
 * Puts an overlay over area (a positioned element holding the screen) on which the user
 * drags rectangles; each finished drag calls done(rect) with the rectangle in the pixels of
 * target() (looked up at the drag's end). className is added to the overlay. Returns the
 * overlay: remove() ends it.
 */
export function dragOverlay(area, target, done, className) {
  const overlay = document.createElement('div');
  overlay.className = 'drag-overlay' + (className ? ' ' + className : '');
  const box = document.createElement('div');
  box.className = 'drag-box';
  box.hidden = true;
  overlay.append(box);
  area.append(overlay);
  let start = null;
  const draw = e => {
    if (!start) return;
    const o = overlay.getBoundingClientRect();
    box.style.left = (Math.min(start[0], e.clientX) - o.left) + 'px';
    box.style.top = (Math.min(start[1], e.clientY) - o.top) + 'px';
    box.style.width = Math.abs(e.clientX - start[0]) + 'px';
    box.style.height = Math.abs(e.clientY - start[1]) + 'px';
  };
  overlay.addEventListener('mousedown', e => { e.preventDefault(); start = [e.clientX, e.clientY]; box.hidden = false; draw(e); });
  overlay.addEventListener('mousemove', draw);
  overlay.addEventListener('mouseup', e => {
    if (!start) return;
    draw(e);
    const rect = dragRect(target(), start, [e.clientX, e.clientY]);
    start = null;
    done(rect);
  });
  return overlay;
}
`
