"""The socket `kiosk serve` hands to uvicorn: connections on it get TCP_NODELAY from
asyncio (on a socket made with protocol 0 they did not, and every answer waited about
40 ms for the client's delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

from kiosk.cli_serve import listening_socket


def test_accepted_connections_have_tcp_nodelay():
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]

    async def main() -> int:
        seen = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport) -> None:
                conn = transport.get_extra_info("socket")
                seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            return value
    assert asyncio.run(main()) != 0
