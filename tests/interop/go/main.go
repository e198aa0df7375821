// Command verify-with-go checks antt-ledger's checkpoints and proofs with Go's reference
// implementations, golang.org/x/mod/sumdb/note and sumdb/tlog, unchanged. The test
// tests/go_interop.rs runs it; it reads one JSON document on standard input and exits 0
// only if every check passes, printing what it checked.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Leaf  string   `json:"leaf"`
	Proof []string `json:"proof"`
}

type consistency struct {
	OldSize int64    `json:"old_size"`
	OldRoot string   `json:"old_root"`
	Proof   []string `json:"proof"`
}

type input struct {
	VerifierKey string        `json:"verifier_key"`
	Checkpoint  string        `json:"checkpoint"`
	Inclusions  []inclusion   `json:"inclusions"`
	Consistency []consistency `json:"consistency"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

func hashOf(text string) (tlog.Hash, error) {
	var hash tlog.Hash
	bytes, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(bytes) != len(hash) {
		return hash, fmt.Errorf("not a base64 SHA-256 hash: %q", text)
	}
	copy(hash[:], bytes)
	return hash, nil
}

func proofOf(texts []string) ([]tlog.Hash, error) {
	proof := make([]tlog.Hash, 0, len(texts))
	for _, text := range texts {
		hash, err := hashOf(text)
		if err != nil {
			return nil, err
		}
		proof = append(proof, hash)
	}
	return proof, nil
}

func run() error {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		return fmt.Errorf("reading the input: %w", err)
	}
	verifier, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		return fmt.Errorf("note.NewVerifier: %w", err)
	}
	opened, err := note.Open([]byte(in.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("note.Open: %w", err)
	}
	lines := strings.Split(opened.Text, "\n")
	if len(lines) < 4 {
		return fmt.Errorf("the checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return fmt.Errorf("the checkpoint size %q: %w", lines[1], err)
	}
	root, err := hashOf(lines[2])
	if err != nil {
		return err
	}
	fmt.Printf("note.Open: checkpoint of %q, size %d, signed by %s\n", lines[0], size, opened.Sigs[0].Name)
	for _, check := range in.Inclusions {
		leaf, err := hashOf(check.Leaf)
		if err != nil {
			return err
		}
		proof, err := proofOf(check.Proof)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, check.Index, leaf); err != nil {
			return fmt.Errorf("tlog.CheckRecord(index %d): %w", check.Index, err)
		}
		fmt.Printf("tlog.CheckRecord: leaf %d is in the tree of %d\n", check.Index, size)
	}
	for _, check := range in.Consistency {
		oldRoot, err := hashOf(check.OldRoot)
		if err != nil {
			return err
		}
		proof, err := proofOf(check.Proof)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tlog.TreeProof(proof), size, root, check.OldSize, oldRoot); err != nil {
			return fmt.Errorf("tlog.CheckTree(%d -> %d): %w", check.OldSize, size, err)
		}
		fmt.Printf("tlog.CheckTree: the tree of %d extends the tree of %d\n", size, check.OldSize)
	}
	return nil
}
