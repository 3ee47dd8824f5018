#!/usr/bin/env python3
"""More of bench/abuse.sh (issue 19, item 3).

  abuse_more.py idle PORT N     N TLS connections, one request each, then
                                held idle; prints "ready" and waits for stdin
                                to close
  abuse_more.py logins PORT N   N registrations sent at once, each on its own
                                connection; prints the statuses they got
"""
import asyncio, collections, ssl, sys

host = "127.0.0.1"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


async def request(r, w, method, path, body=b""):
    w.write(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await w.drain()
    status = (await asyncio.wait_for(r.readline(), 60)).split(b" ")[1].decode()
    length = 0
    while (line := await r.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await r.readexactly(length)
    return status


async def idle(port, n):
    held = []
    for _ in range(n):
        r, w = await asyncio.open_connection(host, port, ssl=ctx)
        assert await request(r, w, "GET", "/healthz") == "200"
        held.append((r, w))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def logins(port, n):
    async def one(i):
        try:
            r, w = await asyncio.open_connection(host, port, ssl=ctx)
            body = f'{{"email":"burst{i}@example.org","password":"burst password {i}!","display_name":"Burst {i}"}}'.encode()
            status = await request(r, w, "POST", "/v1/users", body)
            w.close()
            return status
        except Exception as e:
            return type(e).__name__
    seen = collections.Counter(await asyncio.gather(*(one(i) for i in range(n))))
    print(" ".join(f"{count}×{status}" for status, count in sorted(seen.items())))


mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
asyncio.run({"idle": idle, "logins": logins}[mode](port, n))
