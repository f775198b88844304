// Package outbox is `reportctl outbox`: what the local emulator's SES
// accepted (moto or LocalStack), listed, and with --save written out as
// .eml files and as .html files whose inline charts open in a browser.
package outbox

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Row is one email in `outbox -o json` (the output is a JSON array of
// Row, in the order SES accepted them; the field names are stable).
type Row struct {
	// Time is the email's Date header (or when the emulator took it).
	Time    time.Time `json:"time"`
	From    string    `json:"from"`
	To      []string  `json:"to"`
	Subject string    `json:"subject"`
	// Envelope are the SES destinations (To plus BCC audit copies).
	Envelope  []string `json:"envelope"`
	MessageID string   `json:"message_id,omitempty"`
	// EML and HTML are the files written with --save.
	EML  string `json:"eml,omitempty"`
	HTML string `json:"html,omitempty"`
}

// Command is `reportctl outbox`.
func Command(a *app.App) *cobra.Command {
	var save, endpoint string
	var out app.Output
	c := &cobra.Command{
		Use:   "outbox [--save DIR]",
		Short: "list the emails the local emulator's SES accepted (moto or LocalStack); --save writes them as .eml and .html",
		Long: `List what the local emulator's SES accepted: time, from, to and subject.
It reads moto (GET /moto-api/data.json) or LocalStack (GET /_aws/ses) at
--endpoint, by default AWS_ENDPOINT_URL_SES or AWS_ENDPOINT_URL; real SES keeps
no outbox.

--save DIR writes each email as NNN-subject.eml (as sent) and NNN-subject.html
with its inline charts saved beside it (NNN-subject.files/) and the cid:
references rewritten to them, so the HTML opens in a browser.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if endpoint == "" {
				endpoint = os.Getenv("AWS_ENDPOINT_URL_SES")
			}
			if endpoint == "" {
				endpoint = os.Getenv("AWS_ENDPOINT_URL")
			}
			if endpoint == "" {
				return app.Usagef("no emulator: set AWS_ENDPOINT_URL or pass --endpoint (real SES keeps no outbox)")
			}
			raws, _, err := Fetch(cmd.Context(), &http.Client{Timeout: 60 * time.Second}, endpoint)
			if err != nil {
				return err
			}
			if save != "" {
				if err := os.MkdirAll(save, 0o755); err != nil {
					return err
				}
			}
			rows := []Row{}
			for i, raw := range raws {
				e, err := Parse(raw.Data)
				if err != nil {
					fmt.Fprintf(a.Stderr, "email %d: %v\n", i+1, err)
				}
				r := Row{Time: e.Date.UTC(), From: e.From, To: e.To, Subject: e.Subject, Envelope: raw.Destinations, MessageID: e.MessageID}
				if r.Time.IsZero() {
					r.Time = raw.At.UTC()
				}
				if r.From == "" {
					r.From = raw.Source
				}
				if save != "" {
					if r.EML, r.HTML, err = Save(save, fmt.Sprintf("%03d-%s", i+1, slug(e.Subject)), raw.Data, e); err != nil {
						return err
					}
				}
				rows = append(rows, r)
			}
			if out.JSON() {
				return app.WriteJSON(a.Stdout, rows)
			}
			w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			head := "TIME\tFROM\tTO\tSUBJECT"
			if save != "" {
				head += "\tSAVED"
			}
			fmt.Fprintln(w, head)
			for _, r := range rows {
				line := fmt.Sprintf("%s\t%s\t%s\t%s", r.Time.Format(time.RFC3339), r.From, strings.Join(r.To, ", "), r.Subject)
				if save != "" {
					line += "\t" + r.HTML
				}
				fmt.Fprintln(w, line)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.Stderr, "no emails in the outbox of %s\n", endpoint)
			}
			return nil
		},
	}
	c.Flags().StringVar(&save, "save", "", "write each email to DIR as .eml and as .html (charts beside it)")
	c.Flags().StringVar(&endpoint, "endpoint", "", "emulator base URL (default: AWS_ENDPOINT_URL_SES or AWS_ENDPOINT_URL)")
	_ = c.MarkFlagDirname("save")
	app.AddOutputFlag(c, &out)
	return c
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "email"
	}
	return s
}

// Save writes raw as DIR/base.eml and e's HTML as DIR/base.html, with each
// cid: reference rewritten to the part saved under DIR/base.files/.
func Save(dir, base string, raw []byte, e Email) (eml, html string, err error) {
	eml = filepath.Join(dir, base+".eml")
	if err := os.WriteFile(eml, raw, 0o644); err != nil {
		return "", "", err
	}
	body := e.HTML
	if body == "" {
		body = "<pre>" + htmlEscape(e.Text) + "</pre>"
	}
	for i, p := range e.Attachments {
		name := filepath.Base(p.Filename)
		if name == "." || name == "/" || name == "" || strings.HasPrefix(name, ".") {
			name = fmt.Sprintf("attachment-%d", i+1)
		}
		if err := os.WriteFile(filepath.Join(dir, base+"-"+name), p.Data, 0o644); err != nil {
			return "", "", err
		}
	}
	if len(e.Inline) > 0 {
		files := filepath.Join(dir, base+".files")
		if err := os.MkdirAll(files, 0o755); err != nil {
			return "", "", err
		}
		for cid, p := range e.Inline {
			name := filepath.Base(p.Filename)
			if name == "." || name == "/" || name == "" {
				name = slug(cid)
			}
			if err := os.WriteFile(filepath.Join(files, name), p.Data, 0o644); err != nil {
				return "", "", err
			}
			ref := base + ".files/" + name
			body = strings.ReplaceAll(body, `"cid:`+cid+`"`, `"`+ref+`"`)
			body = strings.ReplaceAll(body, `'cid:`+cid+`'`, `'`+ref+`'`)
		}
	}
	html = filepath.Join(dir, base+".html")
	if err := os.WriteFile(html, []byte(body), 0o644); err != nil {
		return "", "", err
	}
	return eml, html, nil
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
