-- mod_medihaven_admins: an administrator of this server makes another of
-- its accounts an administrator, or no longer one. Written by `medihaven
-- server` into the server folder; it is rewritten on every start, so do
-- not edit it.
--
-- Prosody 0.12 lets only accounts with the role prosody:admin create
-- account invites (mod_invites_adhoc, urn:xmpp:invite#create-account), and
-- has no way for one to give that role to another over XMPP. The clinic's
-- first administrator's workstation gets the role from the server's own
-- invite (`medihaven server invite --admin`); with this command an
-- administrator's workstation gives it to the workstations of the members
-- the clinic's directory says are administrators, and takes it from the
-- others (revoked, or another role), so any active administrator of the
-- clinic can issue registration tokens and nobody else can.
--
-- Ad-hoc command urn:medihaven:admins#set (XEP-0050), for administrators
-- only, executed in one step with a submitted form: field "account" (a
-- bare JID of this host with an account) and field "admin" (boolean).
-- Prosody ends the sessions of an account whose roles change, so that
-- account's workstation reconnects once (its sync does that by itself).

local usermanager = require "core.usermanager";
local dataforms = require "util.dataforms";
local jid = require "util.jid";
local adhoc_new = module:require "adhoc".new;

local form = dataforms.new {
	{ name = "FORM_TYPE"; type = "hidden"; value = "urn:medihaven:admins" };
	{ name = "account"; type = "jid-single"; required = true };
	{ name = "admin"; type = "boolean"; required = true };
};

local function refuse(condition, text)
	return { status = "error"; error = { type = condition == "bad-request" and "modify" or "cancel"; condition = condition; text = text } };
end

local function set_admin(_, data)
	if not data.form then
		return refuse("bad-request", "submit the form with the command");
	end
	local fields, err = form:data(data.form);
	if err then
		return refuse("bad-request", "the form is incomplete");
	end
	local user, host, resource = jid.split(jid.prep(fields.account) or "");
	if not user or host ~= module.host or resource then
		return refuse("bad-request", "not an account of this server");
	end
	if not usermanager.user_exists(user, host) then
		return refuse("item-not-found", "no such account");
	end
	local account = user .. "@" .. host;
	local roles = {};
	for role, on in pairs(usermanager.get_roles(account, host) or {}) do
		roles[role] = on;
	end
	if (roles["prosody:admin"] or false) == (fields.admin or false) then
		-- Nothing to change. Setting roles disconnects the account's
		-- sessions (mod_c2s, "Roles changed"), so it is done only for a
		-- change.
		return { status = "completed" };
	end
	roles["prosody:admin"] = fields.admin or nil;
	local ok, serr = usermanager.set_roles(account, host, roles);
	if not ok then
		module:log("error", "Could not set the roles of %s: %s", account, serr);
		return refuse("internal-server-error", "the role could not be stored");
	end
	module:log("info", "%s made %s %s", jid.bare(data.from), account,
		fields.admin and "an administrator" or "no longer an administrator");
	return { status = "completed" };
end

module:depends("adhoc");
module:provides("adhoc", adhoc_new("Make an account an administrator, or not", "urn:medihaven:admins#set", set_admin, "admin"));
