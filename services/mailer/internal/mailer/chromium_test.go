package mailer

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

const chromiumPath = "/usr/bin/chromium"

func headless(t *testing.T, width string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(), "--window-size=" + width + ",900", "--virtual-time-budget=3000"}
	out, err := exec.CommandContext(ctx, chromiumPath, append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

// TestViewInBrowserAsAReaderSeesIt (moto, headless Chromium): the email's
// View in browser link opens the report in Chromium at phone and desktop
// widths, with its charts; printing it (the print stylesheet) gives the
// report's figures on paper; a forged link shows only a refusal.
func TestViewInBrowserAsAReaderSeesIt(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skip("chromium not installed")
		}
		t.Fatalf("%s not found: install it (apt-get install -y chromium)", chromiumPath)
	}
	w := newWorld(t)
	m := w.viewMailer(t)
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	sent := emailsFor(t, d.ReportID)
	if len(sent) != 1 {
		t.Fatalf("%d emails", len(sent))
	}
	_, parts := parseEmail(t, sent[0].RawData)
	match := viewLink.FindStringSubmatch(string(partOf(parts, "text/plain").body))
	if match == nil {
		t.Fatal("no view link")
	}
	u, _ := url.Parse(match[1])
	srv := httptest.NewServer(viewMux(m))
	defer srv.Close()
	link := srv.URL + u.RequestURI()

	for _, width := range []string{"390", "640"} {
		dom := headless(t, width, "--dump-dom", link)
		if !strings.Contains(dom, "CEO report") || !strings.Contains(dom, "$123.45") || !strings.Contains(dom, `src="data:image/png;base64,`) {
			t.Errorf("%s px: the page lacks the report, its figure or its charts:\n%.300s", width, dom)
		}
	}
	dir := t.TempDir()
	if a := os.Getenv("BOARDPACK_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "mailer")
		_ = os.MkdirAll(dir, 0o755)
	}
	headless(t, "390", "--hide-scrollbars", "--screenshot="+filepath.Join(dir, "view-390.png"), link)
	printed := filepath.Join(dir, "view-print.pdf")
	headless(t, "1024", "--no-pdf-header-footer", "--print-to-pdf="+printed, link)
	pdf, err := os.ReadFile(printed)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftotext(t, pdf); !strings.Contains(text, "$123.45") || !strings.Contains(text, "CEO report") {
		t.Errorf("printed view lacks the report:\n%.500s", text)
	}

	q := u.Query()
	q.Set("s", strings.Repeat("0", 64))
	forged := srv.URL + u.Path + "?" + q.Encode()
	dom := headless(t, "390", "--dump-dom", forged)
	if !strings.Contains(dom, "invalid report link") || strings.Contains(dom, "CEO report") || strings.Contains(dom, "123.45") || strings.Contains(dom, "<img") {
		t.Errorf("forged link shows more than a refusal:\n%.500s", dom)
	}
}
