using Akka.Actor;
using Akka.Persistence;

namespace Dpr.Actors.Audit;

/// <summary>
/// The audit trail (<c>audit</c>): every admin action as an <see cref="AuditEvents.ActionRecorded"/> in the
/// default journal, acknowledged once stored. It holds no state but the journal's sequence numbers, so it
/// replays nothing when it starts (<see cref="Recovery.None"/> still learns the highest one); entries are
/// read a page at a time with Akka.Persistence.Query, by sequence number (the service's <c>AuditLog</c>).
/// A failed write stops it (Akka.Persistence), and its supervisor starts it again; the caller's ask fails.
/// </summary>
public sealed class AuditActor : ReceivePersistentActor
{
    public const string Id = "audit";

    public AuditActor()
    {
        Command<AuditCommands.Record>(record =>
        {
            var sender = Sender;
            Persist(record.Entry, _ => sender.Tell(new AuditReplies.Recorded(LastSequenceNr)));
        });
        Command<AuditCommands.GetHighest>(_ => Sender.Tell(new AuditReplies.Highest(LastSequenceNr)));
    }

    public override string PersistenceId => Id;

    public override Recovery Recovery => Recovery.None;

    public static Props Props() => Akka.Actor.Props.Create(() => new AuditActor());
}
