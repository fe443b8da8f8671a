package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctifeed/ctifeed/server"
)

// flags parses -config and returns it with the remaining arguments.
func flags(name string, args []string, stderr io.Writer, wantArgs bool) (string, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "the configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return "", nil, usageError{err.Error()}
	}
	if *cfg == "" {
		return "", nil, usageError{"-config FILE is required"}
	}
	if !wantArgs && fs.NArg() > 0 {
		return "", nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return *cfg, fs.Args(), nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	path, _, err := flags("serve", args, stderr, false)
	if err != nil {
		return err
	}
	cfg, err := server.LoadConfig(path)
	if err != nil {
		return err
	}
	s, err := server.New(ctx, cfg, &server.Options{Banner: stdout,
		Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: logLevel(cfg)}))})
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

func logLevel(cfg *server.Config) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(cfg.Observability.LogLevel)) // validated by LoadConfig
	return l
}

func check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	path, _, err := flags("check", args, stderr, false)
	if err != nil {
		return err
	}
	cfg, err := server.LoadConfig(path)
	if err != nil {
		return err
	}
	s, err := server.New(ctx, cfg, &server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "%s: valid\n%s", path, s.Describe())
	return nil
}

func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	path, bundles, err := flags("ingest", args, stderr, true)
	if err != nil {
		return err
	}
	if len(bundles) == 0 {
		return usageError{"name at least one bundle file or directory"}
	}
	cfg, err := server.LoadConfig(path)
	if err != nil {
		return err
	}
	s, err := server.New(ctx, cfg, &server.Options{Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer s.Close()
	if cfg.Store.Engine == "" || cfg.Store.Engine == "memory" {
		fmt.Fprintln(stderr, "note: the memory engine keeps nothing after this command: the bundles are only validated and counted")
	}
	bar := progressBar(stderr)
	var total int
	err = s.IngestFiles(ctx, bundles, func(file string, done, files, objects int) {
		total = objects
		bar(file, done, files, objects)
	})
	fmt.Fprintf(stdout, "%d objects stored\n", total)
	return err
}

// progressBar draws a one-line bar on a terminal and nothing elsewhere.
func progressBar(w io.Writer) server.Progress {
	f, ok := w.(*os.File)
	if fi, err := os.Stderr.Stat(); !ok || err != nil || fi.Mode()&os.ModeCharDevice == 0 || f != os.Stderr {
		return func(string, int, int, int) {}
	}
	return func(file string, done, files, objects int) {
		const width = 30
		n := width * done / max(files, 1)
		fmt.Fprintf(w, "\r[%s%s] %d/%d files, %d objects", strings.Repeat("#", n), strings.Repeat(" ", width-n), done, files, objects)
		if done == files {
			fmt.Fprintln(w)
		}
	}
}

func hashPassword(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"hash-password takes no argument: it reads the password on stdin"}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("empty password on stdin")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(h))
	return nil
}

func newToken(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"new-token takes no argument"}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	sum := sha256.Sum256([]byte(tok))
	fmt.Fprintf(stdout, "token:        %s\ntoken_sha256: %s\n", tok, hex.EncodeToString(sum[:]))
	return nil
}

func version(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"version takes no argument"}
	}
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintf(stdout, "ctifeed %s\n", v)
	return nil
}
