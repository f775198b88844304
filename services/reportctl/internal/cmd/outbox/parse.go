package outbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Email is a raw email taken apart.
type Email struct {
	Date      time.Time
	From      string
	To        []string
	Subject   string
	MessageID string
	HTML      string
	Text      string
	// Inline are the parts with a Content-ID (the charts), by Content-ID.
	Inline map[string]Part
	// Attachments are the attached files (the report's PDF and CSV).
	Attachments []Part
}

// Part is one inline part.
type Part struct {
	ContentType string
	Filename    string
	Data        []byte
}

var words = new(mime.WordDecoder)

// Parse reads a raw email.
func Parse(raw []byte) (Email, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Email{}, fmt.Errorf("parse email: %w", err)
	}
	e := Email{Inline: map[string]Part{}, MessageID: strings.Trim(m.Header.Get("Message-Id"), "<>")}
	e.Date, _ = m.Header.Date()
	e.From = decodeHeader(m.Header.Get("From"))
	if to, err := m.Header.AddressList("To"); err == nil {
		for _, a := range to {
			e.To = append(e.To, a.Address)
		}
	}
	e.Subject = decodeHeader(m.Header.Get("Subject"))
	if err := e.walk(textproto.MIMEHeader(m.Header), m.Body); err != nil {
		return e, err
	}
	return e, nil
}

func decodeHeader(v string) string {
	if d, err := words.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

func (e *Email) walk(h textproto.MIMEHeader, body io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := e.walk(p.Header, p); err != nil {
				return err
			}
		}
	}
	data, err := io.ReadAll(decoder(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	if cid := strings.Trim(h.Get("Content-Id"), "<> "); cid != "" {
		name := ""
		if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
			name = dp["filename"]
		}
		e.Inline[cid] = Part{ContentType: mt, Filename: name, Data: data}
		return nil
	}
	if disp, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && disp == "attachment" {
		e.Attachments = append(e.Attachments, Part{ContentType: mt, Filename: dp["filename"], Data: data})
		return nil
	}
	switch {
	case mt == "text/html" && e.HTML == "":
		e.HTML = string(data)
	case mt == "text/plain" && e.Text == "":
		e.Text = string(data)
	}
	return nil
}

func decoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, b := range p[:k] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
