using Akka.Persistence;
using Akka.Persistence.TestKit;

namespace Dpr.TestKit;

/// <summary>
/// The write interceptor of one of the node's persistence TestKit journals: it refuses or fails writes
/// while told to (a refusal is <see cref="TestJournalRejectionException"/>, the actor is told and goes on;
/// a failure is <see cref="TestJournalFailureException"/>, the actor stops and its supervisor brings it
/// back from the journal), and otherwise records every event that is stored, even those a snapshot later
/// lets the journal delete, so a test can count what was ever written.
/// </summary>
internal sealed class JournalLedger(NodeJournal journal) : IJournalInterceptor
{
    private readonly Lock _lock = new();
    private readonly List<RecordedEvent> _events = [];
    private int _refusals;
    private int _failedInOutage;
    private bool _outage;

    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public bool Outage
    {
        get
        {
            lock (_lock)
            {
                return _outage;
            }
        }
    }

    /// <summary>How many writes an outage has failed so far.</summary>
    public int FailedInOutage
    {
        get
        {
            lock (_lock)
            {
                return _failedInOutage;
            }
        }
    }

    public void Refuse(int writes)
    {
        lock (_lock)
        {
            _refusals += writes;
        }
    }

    public void SetOutage(bool down)
    {
        lock (_lock)
        {
            _outage = down;
        }
    }

    public Task InterceptAsync(IPersistentRepresentation message)
    {
        lock (_lock)
        {
            if (_outage)
            {
                _failedInOutage++;
                throw new TestJournalFailureException($"the {journal} journal is down (an outage injected by the test)");
            }
            if (_refusals > 0)
            {
                _refusals--;
                throw new TestJournalRejectionException($"the {journal} journal refused {message.Payload.GetType().Name} (a refusal injected by the test)");
            }
            _events.Add(new RecordedEvent(journal, message.PersistenceId, message.SequenceNr, message.Payload));
        }
        return Task.CompletedTask;
    }
}
