package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The layer rules of the README, enforced rather than promised: the clinical
// logic stays pure, each outside library has one home, and the production
// binary carries nothing made for tests.

const (
	module      = "github.com/checkinbot/checkinbot"
	goRedis     = "github.com/redis/go-redis/v9"
	telegramAPI = "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// goList runs `go list` with a template over pkgs and returns one line per package.
func goList(t *testing.T, template string, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", template}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestLayerRules(t *testing.T) {
	for _, line := range goList(t, "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...") {
		pkg, imports, _ := strings.Cut(line, " ")
		has := func(path string) bool { return strings.Contains(" "+imports+" ", " "+path+" ") }
		rel := strings.TrimPrefix(pkg, module)
		if has(goRedis) && rel != "/store" && rel != "/store/redistest" {
			t.Errorf("%s imports go-redis: only store (and its test server helper) may", pkg)
		}
		if has(telegramAPI) && rel != "/bot" {
			t.Errorf("%s imports tgbotapi: only bot may", pkg)
		}
	}
	for _, dep := range goList(t, "{{join .Deps \"\\n\"}}", module+"/flows") {
		if strings.HasPrefix(dep, goRedis) || strings.HasPrefix(dep, telegramAPI) || strings.HasPrefix(dep, module+"/") {
			t.Errorf("flows depends on %s: the clinical logic must stay pure", dep)
		}
	}
}

func TestProductionBinaryLinksNoTestCode(t *testing.T) {
	for _, dep := range goList(t, "{{join .Deps \"\\n\"}}", module+"/cmd/checkinbot") {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"),
			strings.Contains(dep, "miniredis"), strings.Contains(dep, "gopher-lua"),
			strings.HasSuffix(dep, "/telegramtest"), strings.HasSuffix(dep, "/redistest"):
			t.Errorf("the production binary links %s", dep)
		}
	}
}
