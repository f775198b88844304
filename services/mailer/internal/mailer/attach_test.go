package mailer

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

var testViewKeys = ViewKeys{{ID: "k2", Secret: "0123456789abcdef0123456789abcdef-two"}, {ID: "k1", Secret: "0123456789abcdef0123456789abcdef-one"}}

// mimePart is one leaf of a parsed email.
type mimePart struct {
	contentType, filename, disposition string
	body                               []byte
}

// parseEmail returns the top-level content type and the leaves of raw.
func parseEmail(t *testing.T, raw string) (string, []mimePart) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	top := msg.Header.Get("Content-Type")
	var leaves []mimePart
	var walk func(ct string, h map[string][]string, body io.Reader)
	walk = func(ct string, h map[string][]string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header, p)
			}
		}
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		data, _ := io.ReadAll(body)
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "base64":
			data, err = base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return -1
				}
				return r
			}, string(data)))
			if err != nil {
				t.Fatal(err)
			}
		case "quoted-printable":
			data, _ = io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(data))))
		}
		_, dp, _ := mime.ParseMediaType(get("Content-Disposition"))
		leaves = append(leaves, mimePart{contentType: mt, filename: dp["filename"], disposition: get("Content-Disposition"), body: data})
	}
	walk(top, msg.Header, msg.Body)
	return top, leaves
}

func partOf(parts []mimePart, contentType string) *mimePart {
	for i := range parts {
		if parts[i].contentType == contentType {
			return &parts[i]
		}
	}
	return nil
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	path := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func (w *world) viewMailer(t *testing.T) *Mailer {
	m := w.mailer(t, testSender)
	m.views = delivery.Views{DB: w.db, Table: w.env.Names.Table}
	m.cfg.ViewKeys, m.cfg.ViewTTL = testViewKeys, 24*time.Hour
	return m
}

var viewLink = regexp.MustCompile(`View in browser: (https://boardpack\.example\.com/reports/\S+)`)

// TestEmailCarriesThePDFAndAViewLink (moto): the email SES sent is
// multipart/mixed with the report's PDF (its figure readable by
// pdftotext) beside the HTML, text and charts; the audit copy and a test
// copy carry it too; the email's View in browser link serves the report
// and no unsubscribe token.
func TestEmailCarriesThePDFAndAViewLink(t *testing.T) {
	w := newWorld(t)
	m := w.viewMailer(t)
	ctx := context.Background()
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	sent := emailsFor(t, d.ReportID)
	audit := sentTo(t, d.ReportID, "audit@queen.example.com")
	if len(sent) != 1 || len(audit) != 1 {
		t.Fatalf("%d emails and %d audit copies, want 1 and 1", len(sent), len(audit))
	}
	var link string
	for name, raw := range map[string]string{"email": sent[0].RawData, "audit copy": audit[0].RawData} {
		top, parts := parseEmail(t, raw)
		if !strings.HasPrefix(top, "multipart/mixed") {
			t.Errorf("%s: top-level %s, want multipart/mixed", name, top)
		}
		pdf := partOf(parts, "application/pdf")
		if pdf == nil || partOf(parts, "text/html") == nil || partOf(parts, "text/plain") == nil {
			t.Fatalf("%s: parts %v, want text, html and a PDF", name, parts)
		}
		if want := report.AttachmentName(d, "pdf"); pdf.filename != want || !strings.HasPrefix(pdf.disposition, "attachment") {
			t.Errorf("%s: pdf %q (%s), want attachment %q", name, pdf.filename, pdf.disposition, want)
		}
		if text := pdftotext(t, pdf.body); !strings.Contains(text, "$123.45") || !strings.Contains(text, "page 1 of") {
			t.Errorf("%s: the PDF lacks the revenue figure or page numbers:\n%s", name, text)
		}
		if m := viewLink.FindStringSubmatch(string(partOf(parts, "text/plain").body)); m == nil {
			t.Errorf("%s: no View in browser link", name)
		} else {
			link = m[1]
		}
		if !strings.Contains(string(partOf(parts, "text/html").body), ">View in browser</a>") {
			t.Errorf("%s: the HTML has no View in browser link", name)
		}
	}

	u, _ := url.Parse(link)
	srv := httptest.NewServer(viewMux(m))
	defer srv.Close()
	resp, body := get(t, srv.URL+u.RequestURI())
	if resp.StatusCode != 200 || !strings.Contains(body, "CEO report") || !strings.Contains(body, "$123.45") || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("view: %d\n%.400s", resp.StatusCode, body)
	}
	if strings.Contains(body, "token=") || strings.Contains(body, report.UnsubscribePlaceholder) || strings.Contains(body, "View in browser") || !strings.Contains(body, "@media print") {
		t.Errorf("the view page carries a token, a placeholder or the view link, or lacks its print stylesheet")
	}

	test := d
	test.TestRecipient, test.EventID = "tester@example.com", d.EventID+"-test"
	if err := m.deliver(ctx, test); err != nil {
		t.Fatal(err)
	}
	copies := sentTo(t, d.ReportID, "tester@example.com")
	if len(copies) != 1 {
		t.Fatalf("%d test copies", len(copies))
	}
	if _, parts := parseEmail(t, copies[0].RawData); partOf(parts, "application/pdf") == nil {
		t.Error("the test copy has no PDF")
	}
}

func viewMux(m *Mailer) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reports/{id}", ViewHandler(m.cfg.ViewKeys, m.views.(delivery.Views), time.Now, m.log))
	return mux
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestAttachmentsOffAndPDFFailure (moto): email.attachments: [] sends the
// accounting report without its PDF and CSV (and not multipart/mixed);
// a PDF that fails still sends the email, counted.
func TestAttachmentsOffAndPDFFailure(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	off := w.tenant
	off.Email.Attachments = &[]string{}
	off.Recipients = map[string][]string{messages.RoleAccounting: {"books@queen.example.com"}}
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{off}}); err != nil {
		t.Fatal(err)
	}
	m := w.viewMailer(t)
	d := due(off.ID, messages.RoleAccounting)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	sent := emailsFor(t, d.ReportID)
	if len(sent) != 1 {
		t.Fatalf("%d emails", len(sent))
	}
	top, parts := parseEmail(t, sent[0].RawData)
	if strings.HasPrefix(top, "multipart/mixed") || partOf(parts, "application/pdf") != nil || partOf(parts, "text/csv") != nil {
		t.Errorf("attachments: [] still attaches (%s)", top)
	}

	on := off
	on.Email.Attachments = nil
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{on}}); err != nil {
		t.Fatal(err)
	}
	m = w.viewMailer(t)
	m.counters.withPDF = func(r report.Rendered, _ messages.ReportDue, _ time.Time) (report.Rendered, error) {
		return r, errors.New("pdf: broken on purpose")
	}
	d2 := due(on.ID, messages.RoleAccounting)
	d2.ReportID += "-2"
	if err := m.deliver(ctx, d2); err != nil {
		t.Fatal(err)
	}
	sent = emailsFor(t, d2.ReportID)
	if len(sent) != 1 {
		t.Fatalf("%d emails after a PDF failure, want 1", len(sent))
	}
	_, parts = parseEmail(t, sent[0].RawData)
	if partOf(parts, "application/pdf") != nil || partOf(parts, "text/csv") == nil {
		t.Errorf("after a PDF failure: want the CSV and no PDF")
	}
	if got := m.counters.pdfFailures.Load(); got != 1 {
		t.Errorf("pdf failures counted %d, want 1", got)
	}
}

// TestOversizeAttachmentsAreDroppedLargestFirst: attachments that would
// take the email over SES's 10 MB are dropped, largest first, counted; the
// email keeps what fits.
func TestOversizeAttachmentsAreDroppedLargestFirst(t *testing.T) {
	tn := testTenant("queen")
	m := &Mailer{cfg: Settings{Sender: testSender, PublicURL: "https://boardpack.example.com", UnsubscribeKey: "0123456789abcdef0123", UnsubscribeTTL: time.Hour},
		log: quiet(), now: time.Now}
	off := tn.Email
	off.Attachments = &[]string{report.AttachCSV}
	d := due(tn.ID, messages.RoleAccounting)
	r := report.Rendered{Subject: "s", HTML: "<p>x</p>", Text: "x", Attachments: []report.Attachment{
		{Filename: "small.csv", ContentType: report.ContentTypeCSV, Data: []byte("a,b\r\n")},
		{Filename: "big.csv", ContentType: report.ContentTypeCSV, Data: make([]byte, 8<<20)},
		{Filename: "mid.csv", ContentType: report.ContentTypeCSV, Data: make([]byte, 1<<20)},
	}}
	got := m.prepare(context.Background(), m.log, tn.ID, off, d, r, func(r report.Rendered) ([]byte, error) {
		return m.compose(tenantIdentity(tn), d, r, "ceo@queen.example.com", false)
	})
	var names []string
	for _, a := range got.Attachments {
		names = append(names, a.Filename)
	}
	if strings.Join(names, ",") != "small.csv,mid.csv" || m.counters.attachmentsDropped.Load() != 1 {
		t.Errorf("kept %v, dropped %d; want small and mid kept, big dropped", names, m.counters.attachmentsDropped.Load())
	}
	raw, err := m.compose(tenantIdentity(tn), d, got, "ceo@queen.example.com", false)
	if err != nil || len(raw) > sesMaxRaw {
		t.Errorf("email of %d bytes (%v)", len(raw), err)
	}
	if len(r.Attachments) != 3 {
		t.Error("prepare changed the caller's attachments")
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
