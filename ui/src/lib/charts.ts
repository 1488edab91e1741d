// Chart.js with only the parts the dashboard draws (a bar and a line chart), registered once.
// Chart.js draws on a canvas and sizes it through element.style (CSSOM), which the app's CSP
// (`style-src 'self'`) allows; it needs no eval and injects no stylesheet.
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

export { Chart };

/** The theme's colours (app.css), read when a chart is drawn so light and dark both fit. */
export function themeColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    text: v('--text'), muted: v('--muted'), line: v('--line'), accent: v('--accent'),
    critical: v('--critical'), high: v('--high'), medium: v('--medium'), low: v('--low'),
  };
}

/** Calls `redraw` when the OS switches between light and dark; returns the unsubscribe. */
export function onThemeChange(redraw: () => void): () => void {
  const q = matchMedia('(prefers-color-scheme: dark)');
  q.addEventListener('change', redraw);
  return () => q.removeEventListener('change', redraw);
}

/** '#b4233a' at opacity `a` as rgba(), which every canvas understands (color-mix is newer). */
export function alpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${a})` : hex;
}
