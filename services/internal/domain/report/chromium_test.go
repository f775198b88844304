package report

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// chromiumPath is Debian's chromium (CI: apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// TestSeenAsAReaderSeesIt renders each role's email in headless Chromium
// as a phone (390 px) and a desktop client (640 px) show it, and in
// forced dark mode. At each width: no horizontal overflow (scrollWidth ≤
// the viewport), every chart loads, no visible text under 12 px. In dark
// mode no image or box stays white (mean luminance of each image region
// and of the page). Screenshots are kept in $BOARDPACK_ARTIFACTS/report
// (default: <temp dir>/boardpack-artifacts/report), printed by the test.
func TestSeenAsAReaderSeesIt(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skipf("%s not found: the browser check is skipped under -short (install it: apt-get install -y chromium)", chromiumPath)
		}
		t.Fatalf("%s not found: install it (apt-get install -y chromium) or run with -short to skip the browser check", chromiumPath)
	}
	dir := os.Getenv("BOARDPACK_ARTIFACTS")
	if dir != "" {
		dir = filepath.Join(dir, "report")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp("", "boardpack-report-screens-"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	emails := map[string]Rendered{}
	for _, role := range messages.Roles {
		r := buildFixture(t, role)
		if len(r.Images) == 0 {
			t.Fatalf("%s: the report has no chart to check", role)
		}
		if strings.Contains(r.HTMLWithDataURIs(), "cid:") {
			t.Fatalf("%s: an image is not resolved", role)
		}
		emails[role] = r
	}
	tmp := t.TempDir()
	for _, width := range []int{390, 640} {
		for _, dark := range []bool{false, true} {
			if dark && width != 390 {
				continue
			}
			mode := ""
			if dark {
				mode = "-dark"
			}
			// Headless Chromium's window is at least 500 px wide, so
			// each email is shown in an iframe of the phone's or the
			// client's width: its own viewport, media queries included.
			// All roles sit side by side in one page: one browser start
			// per width.
			host, probed := filepath.Join(tmp, fmt.Sprintf("host-%d%s.html", width, mode)), filepath.Join(tmp, fmt.Sprintf("probe-%d%s.html", width, mode))
			writeHost(t, host, emails, width, false)
			writeHost(t, probed, emails, width, true)
			results := measure(t, probed, width*len(messages.Roles), dark)
			img := screenshot(t, host, filepath.Join(tmp, fmt.Sprintf("all-%d%s.png", width, mode)), width*len(messages.Roles), dark)
			for i, role := range messages.Roles {
				res, ok := results[role]
				if !ok {
					t.Errorf("%s %d px: the probe did not report", role, width)
					continue
				}
				shot := crop(img, image.Rect(i*width, 0, (i+1)*width, min(res.Height, shotHeight)))
				out := filepath.Join(dir, fmt.Sprintf("%s-%d%s.png", role, width, mode))
				writePNG(t, out, shot)
				t.Logf("screenshot: %s", out)
				r := emails[role]
				if res.Images != len(r.Images) || res.Broken > 0 {
					t.Errorf("%s %d px: %d of %d images on the page, %d did not load", role, width, res.Images, len(r.Images), res.Broken)
				}
				if res.ScrollWidth > width || res.ClientWidth != width {
					t.Errorf("%s %d px: the page scrolls sideways to %d px in a %d px viewport (widest: %s)", role, width, res.ScrollWidth, res.ClientWidth, res.WidestTag)
				}
				if res.MinFont < 12 {
					t.Errorf("%s %d px: text of %.1f px (%s), want at least 12", role, width, res.MinFont, res.MinFontTag)
				}
				if !dark {
					continue
				}
				for k, b := range res.Boxes {
					rect := image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H).Intersect(shot.Bounds())
					if rect.Empty() {
						continue
					}
					if l, white := luminance(shot, rect); white > 0.3 || l > 0.6 {
						t.Errorf("%s dark mode: image %d (%dx%d at %d,%d) is a white box: %.0f %% near-white pixels, mean luminance %.2f", role, k+1, b.W, b.H, b.X, b.Y, white*100, l)
					}
				}
				if l, white := luminance(shot, shot.Bounds()); white > 0.1 || l > 0.4 {
					t.Errorf("%s dark mode: the page is light: %.0f %% near-white pixels, mean luminance %.2f", role, white*100, l)
				}
			}
		}
	}
}

// writeHost writes a page with one iframe per role, side by side.
func writeHost(t *testing.T, path string, emails map[string]Rendered, width int, withProbe bool) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;padding:0;display:flex;align-items:flex-start"><pre id="probe-results"></pre>`)
	for _, role := range messages.Roles {
		doc := emails[role].HTMLWithDataURIs()
		if withProbe {
			doc = strings.Replace(doc, "</body>", strings.ReplaceAll(probe, "ROLE", role)+"</body>", 1)
		}
		fmt.Fprintf(&b, `<iframe title="%s" style="flex:none;width:%dpx;height:%dpx;border:0;margin:0;padding:0" srcdoc="%s"></iframe>`,
			role, width, shotHeight, htmlAttr(doc))
	}
	b.WriteString(`</body></html>`)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func crop(img image.Image, r image.Rectangle) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			out.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return out
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// luminance is the mean relative luminance of rect and the share of its
// pixels that are near white.
func luminance(img image.Image, rect image.Rectangle) (mean, white float64) {
	var sum float64
	n, w := 0, 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			l := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 65535
			sum += l
			if l > 0.9 {
				w++
			}
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), float64(w) / float64(n)
}

// probe measures the page after load and writes the result into the DOM,
// which --dump-dom prints. It is added for the test only: the email has
// no script.
const probe = `<script>
window.addEventListener('load', function () {
  var imgs = document.images, broken = 0, boxes = [];
  for (var i = 0; i < imgs.length; i++) {
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++;
    var r = imgs[i].getBoundingClientRect();
    boxes.push({x: Math.round(r.left), y: Math.round(r.top + window.scrollY), w: Math.round(r.width), h: Math.round(r.height)});
  }
  var vw = document.documentElement.clientWidth, widest = 0, tag = '';
  var all = document.body.getElementsByTagName('*');
  var minFont = 1000, minTag = '';
  for (var j = 0; j < all.length; j++) {
    var el = all[j], rect = el.getBoundingClientRect();
    if (rect.right > vw && rect.width < vw * 0.8 && rect.right > widest) { widest = Math.ceil(rect.right); tag = el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 40) + '" ends at ' + Math.ceil(rect.right) + 'px'; }
    var own = '';
    for (var k = 0; k < el.childNodes.length; k++) { if (el.childNodes[k].nodeType === 3) own += el.childNodes[k].textContent; }
    if (own.trim() === '' || el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || el.tagName === 'TITLE') continue;
    if (rect.width === 0 || rect.height === 0 || getComputedStyle(el).display === 'none') continue;
    var fs = parseFloat(getComputedStyle(el).fontSize);
    if (fs < minFont) { minFont = fs; minTag = el.tagName + '.' + el.className + ' "' + own.trim().slice(0, 30) + '"'; }
  }
  parent.document.getElementById('probe-results').textContent += 'PROBE' + JSON.stringify({role: 'ROLE', images: imgs.length, broken: broken,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: vw,
    widestTag: tag, minFont: minFont, minFontTag: minTag, boxes: boxes, height: document.documentElement.scrollHeight}) + 'PROBE';
});
</script>`

type box struct{ X, Y, W, H int }

type probeResult struct {
	Role        string  `json:"role"`
	ClientWidth int     `json:"clientWidth"`
	Images      int     `json:"images"`
	Broken      int     `json:"broken"`
	ScrollWidth int     `json:"scrollWidth"`
	WidestTag   string  `json:"widestTag"`
	MinFont     float64 `json:"minFont"`
	MinFontTag  string  `json:"minFontTag"`
	Boxes       []box   `json:"boxes"`
	Height      int     `json:"height"`
}

var probeRE = regexp.MustCompile(`PROBE(\{.*?\})PROBE`)

// shotHeight is tall enough for the longest role's email at 390 px.
const shotHeight = 6500

func chromium(t *testing.T, width int, dark bool, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(), fmt.Sprintf("--window-size=%d,%d", width, shotHeight),
		"--hide-scrollbars", "--virtual-time-budget=3000", "--force-device-scale-factor=1"}
	if dark {
		// The user's dark preference and Chromium's automatic darkening
		// of pages, as mail apps do.
		base = append(base, "--force-dark-mode", "--blink-settings=forceDarkModeEnabled=true", "--enable-features=WebContentsForceDark")
	}
	out, err := exec.CommandContext(ctx, chromiumPath, append(base, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr)
	}
	return out
}

// measure loads the host page and returns each iframe's probe result.
func measure(t *testing.T, page string, width int, dark bool) map[string]probeResult {
	t.Helper()
	dom := chromium(t, width, dark, "--dump-dom", "file://"+page)
	out := map[string]probeResult{}
	for _, m := range probeRE.FindAllSubmatch(dom, -1) {
		var res probeResult
		if err := json.Unmarshal(m[1], &res); err != nil {
			t.Fatal(err)
		}
		out[res.Role] = res
	}
	if len(out) == 0 {
		t.Fatalf("the probe did not run; dumped DOM ends with: %.300s", dom[max(0, len(dom)-300):])
	}
	return out
}

func screenshot(t *testing.T, page, out string, width int, dark bool) image.Image {
	t.Helper()
	chromium(t, width, dark, "--screenshot="+out, "file://"+page)
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("no screenshot at %s: %v", out, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", out, err)
	}
	return img
}
