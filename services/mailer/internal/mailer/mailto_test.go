package mailer

import (
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/report"
)

// The mailto of List-Unsubscribe is the bare reply-to address, escaped: a
// display name or a quoted local part cannot close the <...> or add an entry.
func TestListUnsubscribeMailtoIsEscaped(t *testing.T) {
	for reply, want := range map[string]string{
		"ops@queen.example.com":                          "<mailto:ops@queen.example.com?subject=unsubscribe%20rpt_1>",
		`"Ops, Team" <Ops@queen.example.com>`:            "<mailto:Ops@queen.example.com?subject=unsubscribe%20rpt_1>",
		`"a>,<mailto:evil@x.example>"@queen.example.com`: "<mailto:%22a%3E%2C%3Cmailto:evil@x.example%3E%22@queen.example.com?subject=unsubscribe%20rpt_1>",
	} {
		e := envelope{From: "Queen <r@queen.example.com>", To: "ceo@queen.example.com", Subject: "Report", ReportID: "rpt_1",
			Date: time.Now(), Unsub: "https://b.example/unsubscribe?token=x", UnsubMail: reply}
		raw, err := buildMIME(e, report.Rendered{Subject: "Report", HTML: "<p>x</p>", Text: "x"}, testSender)
		if err != nil {
			t.Fatalf("%s: %v", reply, err)
		}
		lu := header(string(raw), "List-Unsubscribe")
		if lu != "<https://b.example/unsubscribe?token=x>, "+want {
			t.Errorf("reply-to %s: List-Unsubscribe = %s, want the mailto %s", reply, lu, want)
		}
		if strings.Count(lu, "<") != 2 || strings.Count(lu, ">") != 2 {
			t.Errorf("reply-to %s: List-Unsubscribe has other than two entries: %s", reply, lu)
		}
	}
}
