package outbox_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/outbox"
)

var png = []byte("\x89PNG\r\n\x1a\nnot really a chart")

// rawEmail is shaped like the mailer's: multipart/alternative of text and
// multipart/related (HTML + an inline PNG by Content-ID).
func rawEmail(subject, to string) string {
	b64 := base64.StdEncoding.EncodeToString(png)
	return strings.ReplaceAll(`From: "JADA Board Pack" <reports@boardpack.example.com>
To: <`+to+`>
Subject: =?UTF-8?q?`+strings.ReplaceAll(subject, " ", "_")+`?=
Date: Mon, 07 Dec 2026 08:00:00 +0000
Message-ID: <rpt_1.abc@boardpack.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Revenue =E2=82=AC1,000
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><body><h1>Revenue</h1><img src=3D"cid:chart-revenue" alt=3D"chart"></bo=
dy></html>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <chart-revenue>
Content-Disposition: inline; filename="chart-revenue.png"

`+b64+`
--rel--
--alt--
`, "\n", "\r\n")
}

func TestOutboxListsAndSavesMotoEmails(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{"reports@boardpack.example.com"}})
	c := ses.NewFromConfig(env.AWS)
	// moto keeps every test's emails: this test's are the ones to its own address.
	to := "cfo-" + strings.ToLower(mototest.UniqueID()) + "@example.com"
	for _, subj := range []string{"JADA CFO report November 2026", "JADA CEO report"} {
		if _, err := c.SendRawEmail(context.Background(), &ses.SendRawEmailInput{
			Source:       aws.String("reports@boardpack.example.com"),
			Destinations: []string{to, "audit@boardpack.example.com"},
			RawMessage:   &sestypes.RawMessage{Data: []byte(rawEmail(subj, to))},
		}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	r := cli(t, env.Names, "outbox", "--endpoint", env.Endpoint, "--save", dir, "-o", "json")
	if r.Code != 0 {
		t.Fatalf("outbox: exit %d: %s", r.Code, r.Stderr)
	}
	var rows []outbox.Row
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
		t.Fatalf("outbox -o json: %v\n%s", err, r.Stdout)
	}
	var mine []outbox.Row
	for _, row := range rows {
		if len(row.To) == 1 && row.To[0] == to {
			mine = append(mine, row)
		}
	}
	if len(mine) != 2 {
		t.Fatalf("%d of this test's emails in the outbox, want 2: %+v", len(mine), rows)
	}
	got := mine[0]
	if got.Subject != "JADA CFO report November 2026" || !strings.Contains(got.From, "reports@boardpack.example.com") ||
		got.Time.Format("2006-01-02T15:04") != "2026-12-07T08:00" || len(got.Envelope) != 2 {
		t.Errorf("row = %+v", got)
	}
	eml, err := os.ReadFile(got.EML)
	if err != nil || !strings.Contains(string(eml), "Content-ID: <chart-revenue>") {
		t.Fatalf("eml %s: %v", got.EML, err)
	}
	html, err := os.ReadFile(got.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "cid:") || !strings.Contains(string(html), `.files/chart-revenue.png"`) {
		t.Fatalf("html still refers to cid: or not to the saved chart:\n%s", html)
	}
	// The reference resolves, relative to the HTML file, to the PNG.
	ref := string(html)[strings.Index(string(html), `src="`)+5:]
	ref = ref[:strings.Index(ref, `"`)]
	chart, err := os.ReadFile(filepath.Join(filepath.Dir(got.HTML), ref))
	if err != nil || string(chart) != string(png) {
		t.Fatalf("chart %s: %v (%d bytes)", ref, err, len(chart))
	}

	r = cli(t, env.Names, "outbox", "--endpoint", env.Endpoint)
	if r.Code != 0 || !strings.Contains(r.Stdout, "JADA CEO report") || !strings.HasPrefix(r.Stdout, "TIME") {
		t.Fatalf("outbox table: exit %d\n%s", r.Code, r.Stdout)
	}
}

// TestOutboxReadsLocalStack reads LocalStack's /_aws/ses shape.
func TestOutboxReadsLocalStack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_aws/ses" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": []map[string]any{{
			"Id": "m1", "Region": "us-east-1", "Source": "reports@boardpack.example.com",
			"Timestamp": "2026-12-07T08:00:01Z", "RawData": rawEmail("LocalStack report", "ceo@example.com"),
		}}})
	}))
	defer srv.Close()
	r := cli(t, resources.Names{Table: "unused"}, "outbox", "--endpoint", srv.URL)
	if r.Code != 0 || !strings.Contains(r.Stdout, "LocalStack report") || !strings.Contains(r.Stdout, "ceo@example.com") {
		t.Fatalf("outbox on LocalStack: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, resources.Names{Table: "unused"}, "outbox", "--endpoint", "http://127.0.0.1:1"); r.Code != 1 {
		t.Fatalf("outbox without an emulator: exit %d", r.Code)
	}
}

// TestOutboxSavesAttachments: an email with attachments (multipart/mixed
// around the body) keeps its HTML and text, and its files are saved
// beside the .eml.
func TestOutboxSavesAttachments(t *testing.T) {
	inner := rawEmail("JADA CFO report", "cfo@example.com")
	head, body, _ := strings.Cut(inner, "\r\n\r\n")
	head = strings.Replace(head, `Content-Type: multipart/alternative; boundary="alt"`, `Content-Type: multipart/mixed; boundary="mix"`, 1)
	raw := head + "\r\n\r\n--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" + body +
		"--mix\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"jada-cfo-2026-11.pdf\"\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 test")) + "\r\n--mix--\r\n"
	e, err := outbox.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.HTML, "<h1>Revenue</h1>") || !strings.Contains(e.Text, "€1,000") || len(e.Attachments) != 1 || e.Attachments[0].Filename != "jada-cfo-2026-11.pdf" {
		t.Fatalf("parsed: html %t, text %q, attachments %v", e.HTML != "", e.Text, len(e.Attachments))
	}
	dir := t.TempDir()
	if _, _, err := outbox.Save(dir, "001-x", []byte(raw), e); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "001-x-jada-cfo-2026-11.pdf")); err != nil || string(b) != "%PDF-1.4 test" {
		t.Errorf("saved attachment: %q, %v", b, err)
	}
}
