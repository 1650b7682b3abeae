using System.Threading.Channels;
using Akka.Actor;
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
        GatedPort? port = null;
        var region = new SimulatedRegion(wrapPort: p => port = new GatedPort(p));
        // Each write is held by the test, for as long as it takes: no write may time out meanwhile.
        var manager = Sys.ActorOf(region.Props(new RegionOptions(RetryBackoff: TimeSpan.FromMilliseconds(20), SwapTimeout: TimeSpan.FromMinutes(1))));
        var modules = SimulatedRegion.Catalog.Modules.Select(m => m.Name).ToArray();
        const int requesters = 10;
        var progress = Channel.CreateUnbounded<Step>();

        // Ten requesters, each sending its next request as soon as its last is answered: 1,000 in all.
        var answers = Task.WhenAll(Enumerable.Range(0, requesters).Select(async requester =>
        {
            var probe = CreateTestProbe();
            var rng = new Random(requester);
            var replies = new List<object>();
            for (var i = 0; i < 100; i++)
            {
                var module = modules[rng.Next(modules.Length)];
                manager.Tell(new RegionCommands.Load(module), probe.Ref);
                progress.Writer.TryWrite(Step.Sent);
                var reply = await probe.ExpectMsgAsync<RegionReplies.Loaded>(TimeSpan.FromSeconds(30));
                progress.Writer.TryWrite(Step.Answered);
                Assert.Equal(module, reply.Module);
                replies.Add(reply);
            }
            progress.Writer.TryWrite(Step.Done);
            // Nothing more was answered: the next message is the reply to this question.
            manager.Tell(new RegionCommands.GetState(), probe.Ref);
            await probe.ExpectMsgAsync<RegionReplies.State>(TimeSpan.FromSeconds(30));
            return replies.Count;
        }));

        // Each write is held until every requester still at work has a load in the manager's mailbox and the manager
        // has answered a question sent after them all: a manager that started another write for any of those loads
        // would have entered the port by then (the write is entered on the actor's thread, in the persist callback).
        var (inFlight, active) = (0, requesters);
        while (true)
        {
            var held = port!.Held.ReadAsync().AsTask();
            if (await Task.WhenAny(held, answers) != held)
            {
                break;
            }
            while (inFlight != active)
            {
                var step = await progress.Reader.ReadAsync();
                (inFlight, active) = step switch
                {
                    Step.Sent => (inFlight + 1, active),
                    Step.Answered => (inFlight - 1, active),
                    _ => (inFlight, active - 1),
                };
            }
            await manager.Ask<RegionReplies.State>(new RegionCommands.GetState(), TimeSpan.FromSeconds(30));
            Assert.Equal(1, port.MaxConcurrentWrites);
            (await held).SetResult();
        }

        Assert.Equal(1000, (await answers).Sum());
        Assert.Equal(1, port.MaxConcurrentWrites);
        Assert.True(port.Writes > 50, $"only {port.Writes} swaps happened");
        Assert.Equal(port.Writes, region.Board.Port.Writes);
    }

    private enum Step
    {
        Sent,
        Answered,
        Done,
    }

    /// <summary>Counts writes in flight; each write waits at a gate the test opens, so an overlapping write would show.</summary>
    private sealed class GatedPort(IConfigurationPort inner) : IConfigurationPort
    {
        private readonly Channel<TaskCompletionSource> _held = Channel.CreateUnbounded<TaskCompletionSource>();
        private int _inFlight;
        private int _max;
        private int _writes;

        public string Name => inner.Name;

        public int MaxConcurrentWrites => _max;

        public int Writes => _writes;

        /// <summary>The gate of each write, in the order the writes entered.</summary>
        public ChannelReader<TaskCompletionSource> Held => _held.Reader;

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
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held.Writer.TryWrite(gate);
                await gate.Task.WaitAsync(cancellationToken);
                return await inner.WriteAsync(image, progress, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
