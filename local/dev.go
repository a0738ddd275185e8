package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// stack is the whole system running locally: the emulators, the clients
// pointed at them, and one HTTP server carrying every public route plus the
// local-only /_local routes.
type stack struct {
	emus  *emulators
	db    *dynamodb.Client
	table string
	store *dynamo.Store
	// directory is the customer directory every local intake consults.
	directory *dynamo.Directory
	mux       *http.ServeMux
	addr      string
	outbox    *outbox
	// auth is staff sign-in: the local issuer, authorizer and console.
	auth *localAuth
	// urls are printed at start-up, one line each.
	urls []string
	// background work (queue pollers, stream readers) started by setups.
	wg sync.WaitGroup
}

// setups wire each part of the system into the stack, in order.
var setups = []struct {
	name string
	fn   func(*stack, context.Context) error
}{
	{"inspection", (*stack).inspection},
	{"staff sign-in", (*stack).staffAuth},
	{"staff console", (*stack).console},
	{"web form", (*stack).webform},
	{"sms", (*stack).sms},
	{"notify", (*stack).notify},
	{"email", (*stack).email},
}

func envPort(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return p, nil
}

// dev runs the whole system until Ctrl-C.
func dev(ctx context.Context, root string, args []string) int {
	fs := flag.NewFlagSet("dev", flag.ExitOnError)
	fs.Parse(args)
	if err := runDev(ctx, root); err != nil {
		fmt.Fprintln(os.Stderr, "local dev:", err)
		return 1
	}
	return 0
}

func runDev(ctx context.Context, root string) error {
	ports := map[string]int{}
	for _, p := range []struct {
		env string
		def int
	}{{"FRONTDESK_HTTP_PORT", 3000}, {"FRONTDESK_DYNAMODB_PORT", 8000}, {"FRONTDESK_FAUXQS_PORT", 4566}, {"FRONTDESK_SES_PORT", 8005}} {
		v, err := envPort(p.env, p.def)
		if err != nil {
			return err
		}
		if err := emulator.PortFree(v); err != nil {
			return fmt.Errorf("%w (%s)", err, p.env)
		}
		ports[p.env] = v
	}
	st := &stack{mux: http.NewServeMux(), table: "frontdesk-local", outbox: &outbox{limit: 1000}}
	fmt.Println("Frontdesk: starting the emulators …")
	emus, err := startAll(ctx, emulator.Paths{Root: root}, ports["FRONTDESK_DYNAMODB_PORT"], ports["FRONTDESK_FAUXQS_PORT"], ports["FRONTDESK_SES_PORT"])
	defer emus.stop()
	if err != nil {
		return err
	}
	st.emus = emus
	st.db = awslocal.DynamoDB(emus.dynamo.URL)
	if err := dynamo.CreateTable(ctx, st.db, st.table); err != nil {
		return err
	}
	st.store = dynamo.New(st.db, st.table)
	st.directory = dynamo.NewDirectory(st.db, st.table)
	// Setups print their URLs, so the address is known before they run.
	st.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports["FRONTDESK_HTTP_PORT"]))
	for _, s := range setups {
		if err := s.fn(st, ctx); err != nil {
			return fmt.Errorf("set up %s: %w", s.name, err)
		}
	}

	srv := &http.Server{Addr: st.addr, Handler: st.mux, ReadHeaderTimeout: 10 * time.Second}
	l, err := net.Listen("tcp", st.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", st.addr, err)
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Printf("\nFrontdesk is running (Ctrl-C stops everything):\n")
	fmt.Printf("  DynamoDB Local        %s  (table %s, pid %d)\n", emus.dynamo.URL, st.table, emus.dynamo.Pid())
	fmt.Printf("  SNS/SQS/S3 (fauxqs)   %s  (pid %d)\n", emus.fauxqs.URL, emus.fauxqs.Pid())
	fmt.Printf("  SES v2 emulator       %s  (web inbox at /, pid %d)\n", emus.ses.URL, emus.ses.Pid())
	for _, u := range st.urls {
		fmt.Println("  " + u)
	}
	fmt.Println()
	err = srv.Serve(l)
	st.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		fmt.Println("Frontdesk: stopped.")
		return nil
	}
	return err
}

func (st *stack) url(path string) string { return "http://" + st.addr + path }

// inspection serves the local-only routes to look into the table.
func (st *stack) inspection(ctx context.Context) error {
	st.mux.HandleFunc("GET /_local/tickets", func(w http.ResponseWriter, r *http.Request) {
		list, err := st.store.Recent(r.Context(), 200, 30)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		if list == nil {
			list = []ticket.Ticket{}
		}
		writeJSON(w, http.StatusOK, list)
	})
	st.mux.HandleFunc("GET /_local/tickets/{ref}", func(w http.ResponseWriter, r *http.Request) {
		ref, ok := ticket.ParseRef(r.PathValue("ref"))
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "not a ticket reference"})
			return
		}
		id, err := st.store.ByRef(r.Context(), ref)
		if err == nil {
			var t *ticket.Ticket
			if t, err = st.store.View(r.Context(), id); err == nil {
				writeJSON(w, http.StatusOK, t)
				return
			}
		}
		if errors.Is(err, ticket.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no ticket " + string(ref)})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	})
	st.mux.HandleFunc("GET /_local/outbox", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, st.outbox.list())
	})
	st.urls = append(st.urls,
		"Tickets (JSON)        "+st.url("/_local/tickets"),
		"One ticket            "+st.url("/_local/tickets/{ref}"),
		"Outbox (sent to customers) "+st.url("/_local/outbox"),
	)
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		slog.Error("write response", "err", err)
	}
}

// outboxEntry is one message sent to a customer, as the local outbox shows
// it.
type outboxEntry struct {
	Channel    ticket.Channel `json:"channel"`
	To         string         `json:"to"`
	Subject    string         `json:"subject,omitempty"`
	Body       string         `json:"body"`
	ProviderID string         `json:"providerId,omitempty"`
	TicketRef  ticket.Ref     `json:"ticketRef,omitempty"`
	At         time.Time      `json:"at"`
}

// recent keeps the latest entries of a local log (the outbox, the
// notices), at most limit of them, and lists them newest first.
type recent[T any] struct {
	mu      sync.Mutex
	limit   int
	entries []T
}

func (r *recent[T]) add(e T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	if r.limit > 0 && len(r.entries) > r.limit {
		r.entries = r.entries[len(r.entries)-r.limit:]
	}
}

func (r *recent[T]) list() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.entries))
	for i := len(r.entries) - 1; i >= 0; i-- {
		out = append(out, r.entries[i])
	}
	return out
}

// outbox records what the local stack sent to customers (SMS, email).
type outbox = recent[outboxEntry]
