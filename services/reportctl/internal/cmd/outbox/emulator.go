package outbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Raw is one email an emulator's SES accepted, as sent (RFC 5322).
type Raw struct {
	Source       string
	Destinations []string
	Data         []byte
	// At is when the emulator accepted it, where it says (LocalStack).
	At time.Time
}

// errNotHere: the endpoint is not this emulator.
var errNotHere = errors.New("not this emulator")

// Fetch reads what the emulator at endpoint accepted: moto first
// (GET /moto-api/data.json, ses.RawMessage), then LocalStack
// (GET /_aws/ses).
func Fetch(ctx context.Context, c *http.Client, endpoint string) ([]Raw, string, error) {
	endpoint = strings.TrimRight(endpoint, "/")
	msgs, err := fetchMoto(ctx, c, endpoint)
	if err == nil {
		return msgs, "moto", nil
	}
	if !errors.Is(err, errNotHere) {
		return nil, "", err
	}
	msgs, err = fetchLocalStack(ctx, c, endpoint)
	if errors.Is(err, errNotHere) {
		return nil, "", fmt.Errorf("%s serves neither /moto-api/data.json (moto) nor /_aws/ses (LocalStack): outbox reads a local emulator only", endpoint)
	}
	return msgs, "localstack", err
}

func get(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		_, _ = io.Copy(io.Discard, resp.Body)
		return errNotHere
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("read %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 512<<20)).Decode(v); err != nil {
		// An emulator answers JSON; anything else is not it.
		return fmt.Errorf("%w: %s: %v", errNotHere, url, err)
	}
	return nil
}

func fetchMoto(ctx context.Context, c *http.Client, endpoint string) ([]Raw, error) {
	var data struct {
		SES *struct {
			RawMessage []struct {
				Source       string   `json:"source"`
				Destinations []string `json:"destinations"`
				RawData      string   `json:"raw_data"`
			} `json:"RawMessage"`
		} `json:"ses"`
	}
	if err := get(ctx, c, endpoint+"/moto-api/data.json", &data); err != nil {
		return nil, err
	}
	var out []Raw
	if data.SES == nil {
		return out, nil
	}
	for _, m := range data.SES.RawMessage {
		// moto adds the To header's addresses to the destinations it was given.
		out = append(out, Raw{Source: m.Source, Destinations: unique(m.Destinations), Data: rawBytes(m.RawData)})
	}
	return out, nil
}

func fetchLocalStack(ctx context.Context, c *http.Client, endpoint string) ([]Raw, error) {
	var data struct {
		Messages []struct {
			Source      string `json:"Source"`
			RawData     string `json:"RawData"`
			Timestamp   string `json:"Timestamp"`
			Destination struct {
				ToAddresses []string `json:"ToAddresses"`
			} `json:"Destination"`
			Destinations []string `json:"Destinations"`
		} `json:"messages"`
	}
	if err := get(ctx, c, endpoint+"/_aws/ses", &data); err != nil {
		return nil, err
	}
	var out []Raw
	for _, m := range data.Messages {
		if m.RawData == "" {
			continue // SendEmail (not raw): Boardpack sends only raw emails
		}
		r := Raw{Source: m.Source, Destinations: m.Destinations, Data: rawBytes(m.RawData)}
		if len(r.Destinations) == 0 {
			r.Destinations = m.Destination.ToAddresses
		}
		r.At, _ = time.Parse(time.RFC3339, m.Timestamp)
		out = append(out, r)
	}
	return out, nil
}

// rawBytes undoes the base64 some emulator versions keep (a raw email is
// never valid base64: it has ':' and CRLF).
func rawBytes(s string) []byte {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	return []byte(s)
}

func unique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
