package mailer

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// portfolioWorld is a bootstrapped moto with three tenants and a portfolio
// of the first two.
type portfolioWorld struct {
	*world
	members   []tenants.Tenant
	outsider  tenants.Tenant
	portfolio tenants.Portfolio
}

const canary = "CANARY-7b3f"

func newPortfolioWorld(t *testing.T) *portfolioWorld {
	t.Helper()
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{testSender, "queen.example.com", "holding.example.com"}})
	w := &world{env: env}
	w.db = dynamodb.NewFromConfig(env.AWS)
	w.store = delivery.Store{DB: w.db, Table: env.Names.Table}
	suffix := mototest.UniqueID()
	a, b, c := testTenant("alpha-"+suffix), testTenant("beta-"+suffix), testTenant("gamma-"+suffix)
	a.Name, b.Name = "Alpha Member Co", "Beta Member Co"
	// The outsider's name and figures carry the canary.
	c.Name = canary + " Outsider"
	c.Recipients = map[string][]string{"ceo": {"ceo@queen.example.com"}}
	p := tenants.Portfolio{
		ID: "holding-" + suffix, Name: "Holding Group", Timezone: "America/Los_Angeles", Members: []string{a.ID, b.ID},
		Email: tenants.Email{From: "Holding Board Pack <board@holding.example.com>", ReplyTo: "owner@holding.example.com",
			BCCAudit: []string{"audit@holding.example.com"}},
		Recipients: map[string][]string{},
	}
	for _, role := range messages.Roles {
		p.Recipients[role] = []string{role + "@holding.example.com", "board-" + role + "@holding.example.com"}
	}
	ctx := context.Background()
	if err := (tenants.Store{DB: w.db, Table: env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{a, b, c}, Portfolios: []tenants.Portfolio{p}}); err != nil {
		t.Fatal(err)
	}
	rm := readmodel.Store{DB: w.db, Table: env.Names.Table}
	for i, f := range []struct {
		tenant string
		amount int64
	}{{a.ID, 1111100}, {b.ID, 2222200}, {c.ID, 9876543}} {
		if _, err := rm.PutFact(ctx, messages.MetricEvent{
			Header: messages.Header{EventID: "evt_" + suffix + string(rune('a'+i)), TenantID: f.tenant, OccurredAt: time.Now().Add(-time.Hour), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: f.amount, Currency: "USD",
		}); err != nil {
			t.Fatal(err)
		}
	}
	w.tenant = a
	return &portfolioWorld{world: w, members: []tenants.Tenant{a, b}, outsider: c, portfolio: p}
}

func (pw *portfolioWorld) mailer(t *testing.T) *Mailer {
	m := pw.world.mailer(t, testSender)
	m.portfolios = tenants.Store{DB: pw.db, Table: pw.env.Names.Table}
	return m
}

func portfolioDue(id, role string) messages.ReportDue {
	d := due(id, role)
	d.PortfolioID = id
	return d
}

// TestPortfolioDueSendsOncePerRecipient: a portfolio's report due sends one
// email to each of the portfolio's recipients for the role, as the
// portfolio (From, Reply-To, BCC audit copy, an unsubscribe link scoped to
// the portfolio id); a redelivered due sends nothing more.
func TestPortfolioDueSendsOncePerRecipient(t *testing.T) {
	pw := newPortfolioWorld(t)
	m := pw.mailer(t)
	d := portfolioDue(pw.portfolio.ID, messages.RoleCFO)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := m.deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	got := emailsFor(t, d.ReportID)
	if len(got) != 2 {
		t.Fatalf("%d emails, want one per recipient (2), also after a redelivery", len(got))
	}
	want := map[string]bool{"cfo@holding.example.com": true, "board-cfo@holding.example.com": true}
	for _, e := range got {
		raw := unfold(e.RawData)
		// moto lists the To address among the destinations too.
		if !want[e.Destinations[0]] || !allEqual(e.Destinations) {
			t.Errorf("destinations %v", e.Destinations)
		}
		delete(want, e.Destinations[0])
		if from := decodeSubject(t, header(raw, "From")); !strings.Contains(from, "Holding Board Pack") || !strings.Contains(from, "board@holding.example.com") {
			t.Errorf("From %q, want the portfolio's", from)
		}
		if rt := header(raw, "Reply-To"); !strings.Contains(rt, "owner@holding.example.com") {
			t.Errorf("Reply-To %q, want the portfolio's", rt)
		}
		c := unsubClaimsOf(t, header(raw, "List-Unsubscribe"))
		if c.Tenant != pw.portfolio.ID || c.Role != messages.RoleCFO || c.Address != e.Destinations[0] {
			t.Errorf("unsubscribe token claims %+v, want scoped to portfolio %s", c, pw.portfolio.ID)
		}
		rec, ok, err := pw.store.Get(context.Background(), pw.portfolio.ID, d.ReportID, e.Destinations[0])
		if err != nil || !ok || rec.Status != delivery.StatusSent {
			t.Errorf("send record under the portfolio: %+v, %v", rec, err)
		}
	}
	if audit := sentTo(t, d.ReportID, "audit@holding.example.com"); len(audit) != 2 {
		t.Errorf("%d audit copies, want one per recipient's email (2)", len(audit))
	}
	// The tenant of the same id space does not share the records: the
	// member's partition has no send of the portfolio's report.
	if _, ok, err := pw.store.Get(context.Background(), pw.members[0].ID, d.ReportID, "cfo@holding.example.com"); err != nil || ok {
		t.Errorf("a portfolio send recorded under a member: ok=%v err=%v", ok, err)
	}
}

// TestPortfolioUnsubscribeIsScopedToThePortfolio: an address unsubscribed
// from the portfolio's report still gets the member tenant's report, and
// the portfolio's next report is not sent to it.
func TestPortfolioUnsubscribeIsScopedToThePortfolio(t *testing.T) {
	pw := newPortfolioWorld(t)
	m := pw.mailer(t)
	ctx := context.Background()
	if err := pw.store.Unsubscribe(ctx, pw.portfolio.ID, messages.RoleCEO, "ceo@holding.example.com"); err != nil {
		t.Fatal(err)
	}
	d := portfolioDue(pw.portfolio.ID, messages.RoleCEO)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	got := emailsFor(t, d.ReportID)
	if len(got) != 1 || contains(got[0].Destinations, "ceo@holding.example.com") || !contains(got[0].Destinations, "board-ceo@holding.example.com") {
		t.Fatalf("emails %+v, want only the recipient who did not unsubscribe", got)
	}
	// The same address still receives the member tenant's own report.
	pw.members[0].Recipients["ceo"] = []string{"ceo@holding.example.com"}
	if err := (tenants.Store{DB: pw.db, Table: pw.env.Names.Table}).Apply(ctx, tenants.File{Tenants: append(pw.members, pw.outsider), Portfolios: []tenants.Portfolio{pw.portfolio}}); err != nil {
		t.Fatal(err)
	}
	td := due(pw.members[0].ID, messages.RoleCEO)
	if err := m.deliver(ctx, td); err != nil {
		t.Fatal(err)
	}
	if got := emailsFor(t, td.ReportID); len(got) != 1 || !contains(got[0].Destinations, "ceo@holding.example.com") {
		t.Fatalf("the member's own report: %+v, want it sent (the unsubscribe is the portfolio's only)", got)
	}
}

// TestUnknownPortfolioIsPermanent: a due for a portfolio that was never
// applied is a permanent error naming it; a deleted one sends nothing.
func TestUnknownPortfolioIsPermanent(t *testing.T) {
	pw := newPortfolioWorld(t)
	m := pw.mailer(t)
	err := m.deliver(context.Background(), portfolioDue("no-such-portfolio", messages.RoleCEO))
	if !errors.Is(err, bus.ErrPermanent) || !strings.Contains(err.Error(), "unknown portfolio no-such-portfolio") {
		t.Fatalf("deliver = %v, want a permanent error naming the portfolio", err)
	}
	if err := (tenants.Store{DB: pw.db, Table: pw.env.Names.Table}).DeletePortfolio(context.Background(), pw.portfolio.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := portfolioDue(pw.portfolio.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatalf("deleted portfolio: %v", err)
	}
	if n := len(emailsFor(t, d.ReportID)); n != 0 {
		t.Fatalf("a deleted portfolio sent %d emails", n)
	}
}

// TestPortfolioEmailsIsolated: three tenants, a portfolio of two, and a
// canary in the third's name and figures: for every role the portfolio's
// emails (headers and every text part, decoded) name both members and
// never show the canary.
func TestPortfolioEmailsIsolated(t *testing.T) {
	pw := newPortfolioWorld(t)
	m := pw.mailer(t)
	for _, role := range messages.Roles {
		d := portfolioDue(pw.portfolio.ID, role)
		if err := m.deliver(context.Background(), d); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		var emails []mototest.SESMessage
		for _, e := range mototest.SentRawEmails(t) {
			if strings.Contains(unfold(e.RawData), "X-Boardpack-Report: "+d.ReportID) {
				emails = append(emails, e) // the audit copies too
			}
		}
		if len(emails) != 4 {
			t.Fatalf("%s: %d emails, want 2 recipients and 2 audit copies", role, len(emails))
		}
		for _, e := range emails {
			text := decodedEmail(t, e.RawData)
			for _, member := range pw.members {
				if !strings.Contains(text, member.Name) {
					t.Errorf("%s: the portfolio's email does not name member %q", role, member.Name)
				}
			}
			for _, leak := range []string{canary, pw.outsider.ID, "98,765.43", "9876543"} {
				if strings.Contains(text, leak) || strings.Contains(e.RawData, leak) {
					t.Fatalf("%s: the portfolio's email shows %q of the tenant outside it", role, leak)
				}
			}
		}
	}
}

func allEqual(list []string) bool {
	for _, s := range list {
		if s != list[0] {
			return false
		}
	}
	return len(list) > 0
}

func unsubClaimsOf(t *testing.T, listUnsub string) unsubClaims {
	t.Helper()
	i := strings.Index(listUnsub, "token=")
	if i < 0 {
		t.Fatalf("List-Unsubscribe %q has no token", listUnsub)
	}
	tok := listUnsub[i+len("token="):]
	tok = tok[:strings.IndexAny(tok+">", ">&")]
	tok, err := url.QueryUnescape(tok)
	if err != nil {
		t.Fatal(err)
	}
	c, err := verifyUnsubscribe([]byte("0123456789abcdef0123"), tok, time.Now())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return c
}

// decodedEmail is an email's headers and its text parts, decoded
// (quoted-printable, base64, encoded words), so a test can search what a
// reader sees.
func decodedEmail(t *testing.T, raw string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	dec := new(mime.WordDecoder)
	for k, vs := range msg.Header {
		for _, v := range vs {
			d, _ := dec.DecodeHeader(v)
			b.WriteString(k + ": " + d + "\n")
		}
	}
	var walk func(ctype, cte string, body io.Reader)
	walk = func(ctype, cte string, body io.Reader) {
		mt, params, _ := mime.ParseMediaType(ctype)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		switch strings.ToLower(cte) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: body})
		}
		data, _ := io.ReadAll(body)
		if strings.HasPrefix(mt, "text/") || mt == "" {
			b.Write(data)
			b.WriteString("\n")
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return b.String()
}

type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
