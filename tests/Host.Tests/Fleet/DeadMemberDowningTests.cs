using System.Net;
using System.Net.Sockets;
using Dpr.Host.Fleet;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// The probe <see cref="DeadMemberDowningActor"/> downs a member on: only a refused connection (no process listens
/// on the port) counts as dead; a port with a listener, even one that never accepts (a stalled process), does not.
/// </summary>
public class DeadMemberDowningTests
{
    [Fact]
    public async Task A_port_nobody_listens_on_refuses_and_a_listening_port_does_not_even_when_nothing_accepts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            // Never Accept()ed, as in a process that is stalled: the kernel completes the handshake all the same.
            Assert.False(await DeadMemberDowningActor.RefusesAsync("127.0.0.1", port));
        }
        finally
        {
            listener.Stop();
        }
        Assert.True(await DeadMemberDowningActor.RefusesAsync("127.0.0.1", port));
    }
}
