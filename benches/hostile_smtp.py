#!/usr/bin/env python3
"""A hostile SMTP server on 127.0.0.1 for benches/hostile.sh (never another address).

    hostile_smtp.py MODE PORTFILE [CERT KEY]

MODE: slow     "220 " then one byte a second, for ever (only an overall deadline ends it)
      endless  a multi-line greeting that never ends
      starttls a normal EHLO and STARTTLS, then inside TLS an EHLO reply that never ends
Listens on a free port, writes it to PORTFILE, serves at most 4 connections and exits after
120 seconds whatever happens, so a forgotten server cannot outlive the bench for long.
"""
import os
import signal
import socket
import ssl
import sys
import threading
import time

mode, portfile = sys.argv[1], sys.argv[2]
signal.alarm(120)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4)
with open(portfile + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)


def line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn):
    try:
        if mode == "slow":
            conn.sendall(b"220 ")
            while True:
                time.sleep(1)
                conn.sendall(b"x")
        elif mode == "endless":
            chunk = b"220-hello hello hello\r\n" * 256
            while True:
                conn.sendall(chunk)
        elif mode == "starttls":
            conn.sendall(b"220 mx ESMTP\r\n")
            line(conn)
            conn.sendall(b"250-mx\r\n250 STARTTLS\r\n")
            line(conn)
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[3], sys.argv[4])
            tls = context.wrap_socket(conn, server_side=True)
            line(tls)
            chunk = b"250-PIPELINING PIPELINING PIPELINING\r\n" * 256
            while True:
                tls.sendall(chunk)
    except (OSError, EOFError, ssl.SSLError):
        pass
    finally:
        conn.close()


for _ in range(4):
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
time.sleep(30)
