package report

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestPortfolioSeenAsAReaderSeesIt renders every role's portfolio email
// for four businesses in three currencies (with an fx block) in headless
// Chromium at 390 px (a phone) and 640 px (a desktop client), and in
// forced dark mode at 390 px, as TestSeenAsAReaderSeesIt does for tenant
// emails: no horizontal overflow, no text under 12 px, a dark page in
// dark mode. Screenshots go to $BOARDPACK_ARTIFACTS/report-portfolio.
func TestPortfolioSeenAsAReaderSeesIt(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skipf("%s not found: the browser check is skipped under -short", chromiumPath)
		}
		t.Fatalf("%s not found: install it (apt-get install -y chromium) or run with -short", chromiumPath)
	}
	dir := os.Getenv("BOARDPACK_ARTIFACTS")
	if dir != "" {
		dir = filepath.Join(dir, "report-portfolio")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		dir = t.TempDir()
	}
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	p.FX = &tenants.FX{Currency: "EUR", Rates: map[string]map[string]string{"2026-10": {"USD": "0.9215", "GBP": "1.1432"}}}
	emails := map[string]Rendered{}
	for _, role := range messages.Roles {
		emails[role] = buildPortfolio(t, src, p, members, role)
	}
	tmp := t.TempDir()
	for _, c := range []struct {
		width int
		dark  bool
	}{{390, false}, {640, false}, {390, true}} {
		mode := ""
		if c.dark {
			mode = "-dark"
		}
		host, probed := filepath.Join(tmp, fmt.Sprintf("host-%d%s.html", c.width, mode)), filepath.Join(tmp, fmt.Sprintf("probe-%d%s.html", c.width, mode))
		writeHost(t, host, emails, c.width, false)
		writeHost(t, probed, emails, c.width, true)
		results := measure(t, probed, c.width*len(messages.Roles), c.dark)
		img := screenshot(t, host, filepath.Join(tmp, fmt.Sprintf("all-%d%s.png", c.width, mode)), c.width*len(messages.Roles), c.dark)
		for i, role := range messages.Roles {
			res, ok := results[role]
			if !ok {
				t.Errorf("%s %d px: the probe did not report", role, c.width)
				continue
			}
			shot := crop(img, image.Rect(i*c.width, 0, (i+1)*c.width, min(res.Height, shotHeight)))
			out := filepath.Join(dir, fmt.Sprintf("portfolio-%s-%d%s.png", role, c.width, mode))
			writePNG(t, out, shot)
			t.Logf("screenshot: %s", out)
			if res.ScrollWidth > c.width || res.ClientWidth != c.width {
				t.Errorf("%s %d px: the page scrolls sideways to %d px in a %d px viewport (widest: %s)", role, c.width, res.ScrollWidth, res.ClientWidth, res.WidestTag)
			}
			if res.MinFont < 12 {
				t.Errorf("%s %d px: text of %.1f px (%s), want at least 12", role, c.width, res.MinFont, res.MinFontTag)
			}
			if res.Images != len(emails[role].Images) || res.Broken > 0 {
				t.Errorf("%s %d px: %d of %d images, %d broken", role, c.width, res.Images, len(emails[role].Images), res.Broken)
			}
			if c.dark {
				if l, white := luminance(shot, shot.Bounds()); white > 0.1 || l > 0.4 {
					t.Errorf("%s dark mode: the page is light: %.0f %% near-white pixels, mean luminance %.2f", role, white*100, l)
				}
			}
		}
	}
}
