// Package deploy holds the Kubernetes manifests of dive (deploy/k8s) and the
// test that validates them offline against the Kubernetes API types.
package deploy
