using Dpr.Actors.Regions;
using Dpr.Fabric.Ports;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Regions;

public class RegionConcurrencyTests : Akka.TestKit.Xunit2.TestKit
{
    public RegionConcurrencyTests()
        : base(TestNode.Config)
    {
    }

    [Fact]
    public async Task Interleaved_loads_never_overlap_on_the_port_and_each_get_one_answer()
    {
        OverlapCheckingPort? port = null;
        var region = new SimulatedRegion(wrapPort: p => port = new OverlapCheckingPort(p));
        var manager = Sys.ActorOf(region.Props());
        var modules = SimulatedRegion.Catalog.Modules.Select(m => m.Name).ToArray();

        // Ten requesters, each sending its next request as soon as its last is answered: 1,000 in all.
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async requester =>
        {
            var probe = CreateTestProbe();
            var rng = new Random(requester);
            var replies = new List<object>();
            for (var i = 0; i < 100; i++)
            {
                var module = modules[rng.Next(modules.Length)];
                manager.Tell(new RegionCommands.Load(module), probe.Ref);
                var reply = await probe.ExpectMsgAsync<RegionReplies.Loaded>(TimeSpan.FromSeconds(30));
                Assert.Equal(module, reply.Module);
                replies.Add(reply);
            }
            // Nothing more was answered: the next message is the reply to this question.
            manager.Tell(new RegionCommands.GetState(), probe.Ref);
            await probe.ExpectMsgAsync<RegionReplies.State>(TimeSpan.FromSeconds(30));
            return replies.Count;
        }));

        Assert.Equal(1000, answers.Sum());
        Assert.Equal(1, port!.MaxConcurrentWrites);
        Assert.True(port.Writes > 50, $"only {port.Writes} swaps happened");
        Assert.Equal(port.Writes, region.Board.Port.Writes);
    }

    /// <summary>Counts writes in flight; each write yields for a moment so overlaps would show.</summary>
    private sealed class OverlapCheckingPort(IConfigurationPort inner) : IConfigurationPort
    {
        private int _inFlight;
        private int _max;
        private int _writes;

        public string Name => inner.Name;

        public int MaxConcurrentWrites => _max;

        public int Writes => _writes;

        public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            Interlocked.Increment(ref _writes);
            int seen;
            while ((seen = _max) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }
            try
            {
                await Task.Delay(1, cancellationToken);
                return await inner.WriteAsync(image, progress, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
