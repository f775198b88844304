package mototest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// FetchSentRawEmails reads the raw emails moto's SES accepted
// (GET /moto-api/data.json, ses.RawMessage), with RawData decoded.
func FetchSentRawEmails(endpoint string) ([]SESMessage, error) {
	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		return nil, fmt.Errorf("read moto data: %w", err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			RawMessage []SESMessage `json:"RawMessage"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("decode moto data: %w", err)
	}
	for i, m := range data.SES.RawMessage {
		// moto 5.2.1 stores the raw message as text; older versions kept
		// the base64 of the request. A raw email is never valid base64
		// (it has ':' and CRLF), so decode only what decodes.
		if raw, err := base64.StdEncoding.DecodeString(m.RawData); err == nil {
			data.SES.RawMessage[i].RawData = string(raw)
		}
	}
	return data.SES.RawMessage, nil
}
