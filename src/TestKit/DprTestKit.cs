using Xunit;
using Xunit.Abstractions;

namespace Dpr.TestKit;

/// <summary>
/// An xUnit test class over the node <c>dpr serve</c> runs: derive from it, and before each test a
/// <see cref="TestNode"/> starts on this TestKit's actor system — a simulated board, the persistence
/// TestKit's journals, virtual time by default — and after it stops. <see cref="Board"/>,
/// <see cref="Jobs"/>, <see cref="Faults"/> and <see cref="Node"/> (restart, invariants, time) are what a
/// test uses; <c>TestProbe</c>s, <c>ExpectMsgAsync</c> and the rest of Akka.TestKit work as usual.
/// </summary>
public abstract class DprTestKit : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    protected DprTestKit(DprTestKitOptions? options = null, ITestOutputHelper? output = null)
        : base(TestNode.Config, "dpr-test", output)
    {
        Node = new TestNode(Sys, options);
    }

    public TestNode Node { get; }

    public TestBoard Board => Node.Board;

    public TestJobs Jobs => Node.Jobs;

    public TestFaults Faults => Node.Faults;

    public virtual Task InitializeAsync() => Node.StartAsync();

    public virtual async Task DisposeAsync() => await Node.DisposeAsync();
}
