namespace Dpr.Actors.Audit;

/// <summary>A command, reply or event of the audit trail (<see cref="AuditActor"/>).</summary>
public interface IAuditMessage : IDprMessage
{
}
