using System.CommandLine;
using Dpr.Host.Cli;
using Spectre.Console;

namespace Dpr.Host.Service;

/// <summary>
/// <c>dpr tenants add|list|rotate|revoke</c>, on the data directory's tenant file (<see cref="TenantStore"/>): it
/// works with or without the service running, which sees every change from its next request on. Each change is
/// left in the <see cref="AuditInbox"/> with the OS user who made it, for the service's audit trail.
/// </summary>
public static class TenantsCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The service's data directory.", DefaultValueFactory = _ => "data", Recursive = true };
        var name = new Argument<string>("name") { Description = $"Lower-case letters, digits and '-', 1 to 32, not starting with '-' ({TenantStore.NamePattern}); unique without regard to case." };
        var admin = new Option<bool>("--admin") { Description = "May load modules by hand, reset partitions, manage tenants and read the audit trail." };
        var add = new Command("add", "Make a tenant; its new API key is the last line of stdout (only its hash is kept).") { name, admin };
        CliAction.Set(add, (parse, output) => Change(parse, data, store =>
        {
            var tenant = parse.GetValue(name)!;
            var key = store.Add(tenant, parse.GetValue(admin));
            output.WriteLine($"tenant {tenant}{(parse.GetValue(admin) ? " (admin)" : "")} added; its key, shown only now:");
            output.WriteLine(key);
            return AuditInbox.FromCli("tenant.add", tenant, parse.GetValue(admin) ? "admin" : "tenant");
        }));

        var keyName = new Option<string?>("--key-name") { Description = "The new key's name (default key-N)." };
        var replace = new Option<bool>("--replace") { Description = "Revoke the tenant's other keys at the same time (a lost or leaked key)." };
        var rotate = new Command("rotate", "Give a tenant another key (the others stay valid unless --replace); the key is the last line of stdout.") { name, keyName, replace };
        CliAction.Set(rotate, (parse, output) => Change(parse, data, store =>
        {
            var tenant = parse.GetValue(name)!;
            var (key, made, revoked) = store.Rotate(tenant, parse.GetValue(keyName), parse.GetValue(replace));
            output.WriteLine($"tenant {tenant}: key {made.Name} ({made.Prefix}…) added{(revoked.Count > 0 ? $", revoked {string.Join(", ", revoked.Select(k => k.Name))}" : "")}; the key, shown only now:");
            output.WriteLine(key);
            return AuditInbox.FromCli("key.rotate", tenant, $"key {made.Name} ({made.Prefix}…){(revoked.Count > 0 ? $", revoked {string.Join(", ", revoked.Select(k => k.Name))}" : "")}");
        }));

        var key = new Option<string?>("--key") { Description = "Only this key (its name or prefix); without it every key of the tenant." };
        var revoke = new Command("revoke", "Revoke a tenant's keys: a running service refuses them from its next request on.") { name, key };
        CliAction.Set(revoke, (parse, output) => Change(parse, data, store =>
        {
            var tenant = parse.GetValue(name)!;
            var revoked = store.Revoke(tenant, parse.GetValue(key));
            var names = string.Join(", ", revoked.Select(k => k.Prefix is null ? k.Name : $"{k.Name} ({k.Prefix}…)"));
            output.WriteLine(revoked.Count == 0 ? $"tenant {tenant} had no key to revoke" : $"tenant {tenant}: revoked {names}");
            return AuditInbox.FromCli("key.revoke", tenant, $"{(parse.GetValue(key) is null ? "every key: " : "key ")}{names}");
        }));

        var list = new Command("list", "The tenants of the data directory and their keys (names, first characters, creation times).");
        CliAction.Set(list, (parse, output) =>
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("tenant", "admin", "created", "keys");
            foreach (var tenant in new TenantStore(Path.GetFullPath(parse.GetValue(data)!)).All)
            {
                table.AddRow(
                    Markup.Escape(tenant.Name), tenant.Admin ? "yes" : "", tenant.Created.ToString("u"),
                    Markup.Escape(tenant.Keys.Count == 0 ? "none (revoked)" : string.Join(Environment.NewLine, tenant.Keys.Select(k => $"{k.Name} {k.Prefix ?? ""}… {k.Created:u}"))));
            }
            InspectCommand.ConsoleFor(output).Write(table);
            return ExitCodes.Ok;
        });
        return new Command("tenants", "Tenants and their API keys.") { data, add, list, rotate, revoke };
    }

    /// <summary>Makes a change to the tenant file and leaves its audit entry; a refused change is exit code 1 with the reason.</summary>
    private static int Change(ParseResult parse, Option<string> data, Func<TenantStore, Actors.Audit.AuditEvents.ActionRecorded> change)
    {
        var directory = Path.GetFullPath(parse.GetValue(data)!);
        try
        {
            AuditInbox.Append(directory, change(new TenantStore(directory)));
            return ExitCodes.Ok;
        }
        catch (TenantChangeException e)
        {
            throw new CliFailure(ExitCodes.UsageOrFile, e.Message);
        }
    }
}
