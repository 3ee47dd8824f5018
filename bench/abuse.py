#!/usr/bin/env python3
"""Abusive clients for bench/abuse.sh (issue 7, item 4), all at once, until
killed: slowloris connections sending headers a byte at a time, clients that
never read their responses, oversized headers, deeply nested and very long
JSON, and a flood of idle connections beyond the server's limit. Prints what
the server answered, by kind, when it gets SIGTERM."""
import asyncio, collections, os, signal, ssl, sys

host, port = "127.0.0.1", int(sys.argv[1])
slow_n, silent_n, flood_n = (int(x) for x in sys.argv[2:5])
seen = collections.Counter()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


async def connect():
    return await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx), 10)


async def slowloris(i):
    while True:
        try:
            r, w = await connect()
            w.write(b"GET /v1/projects HTTP/1.1\r\nHost: x\r\n")
            for b in b"X-Slow: " + b"a" * 10000:
                w.write(bytes([b]))
                await w.drain()
                await asyncio.sleep(0.5)
        except Exception as e:
            seen["slowloris closed by server"] += 1
            await asyncio.sleep(0.2)


async def silent(i):
    # Asks for the API description over and over and never reads an answer.
    while True:
        try:
            r, w = await connect()
            req = b"GET /v1/openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n" * 200
            while True:
                w.write(req)
                await asyncio.wait_for(w.drain(), 60)
        except Exception:
            seen["non-reader cut off"] += 1
            await asyncio.sleep(0.5)


async def one(request):
    r, w = await connect()
    w.write(request)
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 30)
    w.close()
    return line.split(b" ")[1].decode() if line else "closed"


async def bad_requests():
    huge_header = b"GET /v1/projects HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
    deep = b"[" * 100000 + b"]" * 100000
    body_deep = b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(deep) + deep
    long_array = b'{"email":"a@b.c","password":"correct horse battery","display_name":[' + b"1," * 400000 + b'1]}'
    body_long = b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(long_array) + long_array
    while True:
        for name, req in (("huge header", huge_header), ("deep JSON", body_deep), ("long array", body_long)):
            try:
                seen[name + " → " + await one(req)] += 1
            except Exception:
                seen[name + " → connection closed"] += 1
        await asyncio.sleep(0.05)


async def flood():
    held = []
    while True:
        try:
            held.append(await connect())
            seen["flood connection accepted"] += 1
        except Exception:
            seen["flood connection refused or closed"] += 1
            await asyncio.sleep(0.05)
        if len(held) >= flood_n:
            for r, w in held:
                w.close()
            held = []
            await asyncio.sleep(1)


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    tasks = [asyncio.create_task(slowloris(i)) for i in range(slow_n)]
    tasks += [asyncio.create_task(silent(i)) for i in range(silent_n)]
    tasks += [asyncio.create_task(bad_requests()) for _ in range(4)]
    tasks.append(asyncio.create_task(flood()))
    await stop
    for name, n in sorted(seen.items()):
        print(f"ABUSE {n} {name}")
    sys.stdout.flush()
    os._exit(0)


asyncio.run(main())
