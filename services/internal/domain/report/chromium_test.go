package report

import (
	"context"
	"encoding/json"
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
// with its inline images resolved, checks that every chart loaded and
// that nothing is wider than 640 px, and keeps a screenshot per role in
// $BOARDPACK_ARTIFACTS/report (default: the system temp directory).
func TestSeenAsAReaderSeesIt(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skipf("%s not found: the browser check is skipped under -short (install it: apt-get install -y chromium)", chromiumPath)
		}
		t.Fatalf("%s not found: install it (apt-get install -y chromium) or run with -short to skip the browser check", chromiumPath)
	}
	dir := os.Getenv("BOARDPACK_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "boardpack-artifacts")
	}
	dir = filepath.Join(dir, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	for _, role := range messages.Roles {
		t.Run(role, func(t *testing.T) {
			r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Images) == 0 {
				t.Fatal("the report has no chart to check")
			}
			html := r.HTMLWithDataURIs()
			if strings.Contains(html, "cid:") {
				t.Fatal("an image is not resolved")
			}
			tmp := t.TempDir()
			page, probed := filepath.Join(tmp, role+".html"), filepath.Join(tmp, role+"-probe.html")
			if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(probed, []byte(strings.Replace(html, "</body>", probe+"</body>", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			// A desktop-wide window: the email's own width must hold
			// at 640 px, not the window's.
			res := measure(t, probed)
			if res.Images != len(r.Images) || res.Broken > 0 {
				t.Errorf("%d of %d images on the page, %d did not load", res.Images, len(r.Images), res.Broken)
			}
			if res.ScrollWidth > 900 || res.Widest > 640 {
				t.Errorf("page scrolls to %d px, widest element of the email %d px (%s); want <= 640", res.ScrollWidth, res.Widest, res.WidestTag)
			}
			shot := filepath.Join(dir, role+".png")
			screenshot(t, page, shot)
			t.Logf("screenshot: %s", shot)
		})
	}
}

// probe measures the page after load and writes the result into the DOM,
// which --dump-dom prints. It is added for the test only: the email has
// no script.
const probe = `<script>
window.addEventListener('load', function () {
  var imgs = document.images, broken = 0, widest = 0, tag = '';
  for (var i = 0; i < imgs.length; i++) { if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++; }
  var page = document.querySelector('table.page');
  var all = page ? [page].concat(Array.prototype.slice.call(page.getElementsByTagName('*'))) : [];
  for (var j = 0; j < all.length; j++) {
    var w = Math.ceil(all[j].getBoundingClientRect().width);
    if (w > widest) { widest = w; tag = all[j].tagName + '.' + all[j].className; }
  }
  if (!page) { widest = 99999; tag = 'no table.page'; }
  var out = document.createElement('pre');
  out.id = 'probe-result';
  out.textContent = 'PROBE' + JSON.stringify({images: imgs.length, broken: broken, scrollWidth: document.documentElement.scrollWidth, widest: widest, widestTag: tag}) + 'PROBE';
  document.body.appendChild(out);
});
</script>`

type probeResult struct {
	Images      int    `json:"images"`
	Broken      int    `json:"broken"`
	ScrollWidth int    `json:"scrollWidth"`
	Widest      int    `json:"widest"`
	WidestTag   string `json:"widestTag"`
}

var probeRE = regexp.MustCompile(`PROBE(\{.*?\})PROBE`)

func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--window-size=900,3000", "--hide-scrollbars", "--virtual-time-budget=3000"}
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

func measure(t *testing.T, page string) probeResult {
	t.Helper()
	dom := chromium(t, "--dump-dom", "file://"+page)
	m := probeRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; dumped DOM ends with: %.300s", dom[max(0, len(dom)-300):])
	}
	var res probeResult
	if err := json.Unmarshal(m[1], &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func screenshot(t *testing.T, page, out string) {
	t.Helper()
	chromium(t, "--screenshot="+out, "file://"+page)
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", out, err)
	}
}
