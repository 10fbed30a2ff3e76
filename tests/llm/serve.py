"""Serve a small GGUF model on loopback with llama.cpp's server (xllamacpp), for specls' tests.

Usage: python serve.py MODEL.gguf
Prints one line `LISTENING http://127.0.0.1:PORT` on stdout once the model is loaded, then serves
until stdin closes (the test that started it exits) or the process is killed.
"""

import sys

import xllamacpp as xlc


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: serve.py MODEL.gguf", file=sys.stderr)
        return 2
    params = xlc.CommonParams()
    params.model.path = sys.argv[1]
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.offline = True
    params.n_ctx = 2048
    params.n_predict = 256
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.ui = False
    server = xlc.Server(params)
    print(f"LISTENING {server.listening_address}", flush=True)
    # Serve until the parent closes our stdin.
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
