package flows

// DefaultMessagesES are the engine's messages in Spanish (usted, neutral
// Latin American Spanish), with the same placeholders as DefaultMessages.
var DefaultMessagesES = Messages{
	Help:             "¡Hola! Soy su asistente de seguimiento. Esto es lo que puede enviarme:\n{commands}",
	NotInFlow:        "Ahora no está en ningún cuestionario. Envíe {cmd:check} antes de su dosis, o {cmd:post_session} cuando termine la sesión.",
	Stale:            "Esa pregunta ya se respondió, así que he guardado su respuesta anterior.",
	YesNoReask:       "Perdone, no le entendí. Toque Sí o No abajo (también puede escribir sí o no).",
	ChoiceReask:      "Perdone, no le entendí. Toque uno de los botones de abajo.",
	VitalsReask:      "Perdone, no pude leer eso como presión arterial y pulso. Escríbalos así: 128/82 72 (el número de arriba, una barra, el de abajo y luego su pulso).",
	NumberReask:      "Perdone, no pude usar eso. Escriba un número del {min} al {max}, por ejemplo {example}.",
	TextReask:        "Escriba su respuesta como mensaje, por favor.",
	TextTooLong:      "Gracias por escribir tanto. Pasa un poco del límite de {max} caracteres: ¿podría acortarlo y enviarlo de nuevo?",
	Yes:              "Sí",
	No:               "No",
	SkipLabel:        "Omitir",
	EscalatedRoutine: "Se lo he pasado a su equipo de atención, que lo revisará.",
	EscalatedHigh:    "Su equipo de atención ya está avisado y se comunicará con usted pronto.",
	EscalatedUrgent:  "Su equipo de atención ha sido alertado.",
	CrisisNoticed:    "Lo que escribió me preocupa y quiero asegurarme de que esté a salvo.",
	Held:             "Por favor, no tome su dosis ahora.\n\n{reason}\n\n{next}",
	Cleared:          "Gracias: todo se ve bien. Puede tomar la dosis de hoy. Cuando la haya tomado, toque el botón de abajo.",
	DoseButton:       "Ya tomé mi dosis",
	DoseTaken: "Entendido: he anotado la hora. Su acompañante debe quedarse con usted toda la sesión (unas 2 horas). " +
		"No maneje, no ande en bicicleta ni use maquinaria hasta mañana, después de dormir. " +
		"Le escribiré dentro de {ping}, y otra vez cuando pasen {post_session}, para unas preguntas breves.",
	DoseAlready:     "Su dosis ya está registrada (a las {time}). No necesita hacer nada más.",
	DoseUnknown:     "Ese botón es de un cuestionario anterior. Envíe {cmd:check} para hacer primero la revisión de seguridad de hoy.",
	DoseExpired:     "Esa revisión de seguridad fue hace un rato y las cosas pueden haber cambiado. Envíe {cmd:check} para revisar de nuevo antes de tomar su dosis.",
	Completed:       "Gracias, eso es todo. Cuídese mucho.",
	Cancelled:       "De acuerdo, he detenido: {title}.",
	CancelledDose:   "De acuerdo, he detenido: {title}. No tome su dosis hasta terminar una revisión de seguridad; envíe {cmd:check} cuando esté listo.",
	NothingToCancel: "No hay nada que cancelar: ahora no está en ningún cuestionario.",
	Restarted:       "He detenido lo que quedó sin terminar ({title}) para empezar de nuevo.",
	Changed:         "Su clínica actualizó este cuestionario después de que usted empezó, así que empecemos de nuevo. Envíe otra vez su comando (por ejemplo {cmd:check}).",
	Sorry:           "Perdone, algo falló de mi lado. Inténtelo de nuevo en un momento. Si se siente mal o en peligro, escriba a su equipo de atención. Hay ayuda ahora mismo:\n{crisis}",

	Ping:          "Hola, ha pasado un rato desde su dosis. ¿Cómo está? Toque uno de los botones de abajo.",
	PingAgain:     "Le escribo otra vez: ¿cómo está? Toque un botón de abajo para saber que está bien. Si no tengo noticias suyas, avisaré a su equipo de atención.",
	PingOKLabel:   "Estoy bien",
	PingHelpLabel: "Necesito ayuda",
	PingThanks:    "Gracias por avisarme. Siga descansando donde está y mantenga cerca a su acompañante. Le escribiré de nuevo más tarde.",
	PingLate:      "Gracias, me alegra saber de usted. Ya había avisado a su equipo de atención de que no tenía respuesta, así que quizás aún se comuniquen con usted.",
	PingAlready:   "Gracias, ya tengo su respuesta. Si algo cambia, escriba a su equipo de atención. En una emergencia:\n{crisis}",
	PingHelped:    "Estoy aquí con usted. Pida a su acompañante que se quede a su lado.",
	PingReask:     "Perdone, no le entendí. Toque Estoy bien o Necesito ayuda abajo, para saber cómo está.",
	NoResponse: "No he sabido de usted desde su dosis, así que avisé a su equipo de atención: se comunicarán con usted pronto. " +
		"Cuando vea esto, toque uno de los botones de arriba. Si necesita ayuda ahora mismo:\n{crisis}",
	Reminder:    "¡Hola! Hoy le toca su dosis. Cuando esté listo, envíe {cmd:check} y haremos primero su revisión de seguridad.",
	ScheduleSet: "Su equipo de atención fijó su día de dosis: {day} a las {time} (hora de {tz}). Le enviaré un recordatorio entonces.",
	ScheduleOff: "Su equipo de atención quitó su día fijo de dosis, así que por ahora no le enviaré recordatorios.",

	GateCrisis: "Ahora no puedo empezar una revisión de seguridad. Por lo que me contó, alguien de su equipo de atención " +
		"necesita hablar con usted antes de su próxima dosis. Ya está alertado y se comunicará con usted. " +
		"No tiene que esperar a solas; hay ayuda ahora mismo:",
	GateReview: "Ahora no puedo empezar una revisión de seguridad: su equipo de atención necesita ver sus respuestas anteriores " +
		"antes de su próxima dosis. Ya está avisado y se comunicará con usted. Cuando le den el visto bueno, " +
		"se lo diré y podrá enviar {cmd:check} de nuevo.",
	GatePaused: "Su equipo de atención pausó sus dosis por ahora, así que no puedo empezar una revisión de seguridad. " +
		"Le avisarán cuando pueda continuar. Si tiene preguntas, escriba a su equipo de atención.",
	GateIntake: "Antes de su primera dosis, su equipo de atención revisa sus respuestas a las primeras preguntas. " +
		"Le avisaré en cuanto le den el visto bueno; entonces envíe {cmd:check} antes de su dosis.",
	GateIntakeRunning: "Antes de su primera dosis, termine las primeras preguntas (envíe /resume para ver la " +
		"actual). Su equipo de atención las revisa y le avisaré cuando tenga el visto bueno.",
	GateDosed: "Su última dosis se registró el {taken}. Por su seguridad, la siguiente puede ser a partir del {next}. " +
		"Aquí estaré: envíe {cmd:check} cuando sea el momento.",
	GateCleared:      "Buenas noticias: su equipo de atención le dio el visto bueno para su próxima dosis. Cuando esté listo, envíe {cmd:check} para su revisión de seguridad.",
	GateClearedDosed: "Su equipo de atención revisó sus respuestas.",
	GatePausedNow:    "Su equipo de atención pausó sus dosis por ahora. No tome ninguna dosis hasta que le digan que puede. Si tiene preguntas, escriba a su equipo de atención.",
	LimitsSet:        "Su equipo de atención actualizó sus límites personales de presión arterial y pulso para la revisión de seguridad. Nada más cambia para usted.",
	ScreenNext:       "Antes de terminar, una pregunta más que le hago a todo el mundo:",
	HeldAfterScreens: "Gracias por responder. Como le dije, por favor no tome su dosis hoy.",
	CrisisHoldReason: "Lo más seguro es no tomar una dosis hoy, hasta que alguien de su equipo de atención hable con usted.",
	CrisisHoldNext:   "Se comunicarán con usted pronto.",
	BPUrgencyReason: "Su presión arterial está muy alta, demasiado para tomar una dosis hoy. No vuelva a medir para seguir " +
		"adelante: esta lectura necesita la atención de su equipo, que ya está avisado.",
	BPUrgencyNext: "Si tiene dolor en el pecho, un dolor de cabeza fuerte, confusión, dificultad para hablar, debilidad o entumecimiento, " +
		"o cambios en la vista, llame ahora a emergencias. Si no, siéntese tranquilo y descanse; su equipo de atención se comunicará con usted pronto.",
	VitalsImplausible: "Esa lectura parece poco común, así que mida de nuevo y escriba los números nuevos, así: 128/82 72. " +
		"Si su aparato vuelve a mostrar esto, llame al {oncall} (o a emergencias si se siente mal).",
	DoseExtraAsk:    "Su dosis ya está registrada (el {time}). ¿Acaba de tomar otra dosis?",
	DoseExtraYes:    "Sí, otra dosis",
	DoseExtraNo:     "No, solo una",
	DoseExtraRaised: "Gracias por decírmelo. No tome más hoy. Su equipo de atención ya está avisado y se comunicará con usted pronto. Si se siente muy mal:\n{crisis}",

	Stranger: "¡Hola! Este bot acompaña a pacientes de una clínica durante su tratamiento y solo funciona con un " +
		"enlace de invitación de su clínica. Si es paciente, pida su enlace a su equipo de atención. Si necesita ayuda urgente:\n{crisis}",
	InviteUsed:     "Este enlace de invitación ya se usó. Si cambió de teléfono o de cuenta, pida un enlace nuevo a su clínica.",
	InviteInvalid:  "Este enlace de invitación no es válido o ya venció. Pida un enlace nuevo a su clínica.",
	Connected:      "Está conectado con el servicio de seguimiento de su clínica.",
	Welcome:        "¡Bienvenido! Ya está conectado con el servicio de seguimiento de su clínica. Antes de cada dosis, envíe {cmd:check} y haremos juntos una breve revisión de seguridad.",
	UnknownCommand: "Perdone, no conozco ese comando.",
	StaleButton:    "Este botón ya no está activo.",
	TryAgain:       "Perdone, algo falló de nuestro lado y su respuesta no se guardó. Inténtelo de nuevo en un minuto. Si se siente en peligro:\n{crisis}",
	Delayed:        "Perdone, tengo un problema técnico y ahora no puedo procesar su mensaje. Lo atenderé en cuanto se resuelva. Si se siente en peligro:\n{crisis}",
	AckToPatient:   "Un miembro de su equipo de atención vio su mensaje y se comunicará con usted.",
	Unenrolled: "Su clínica terminó este servicio de seguimiento para usted, así que no le enviaré más mensajes. " +
		"Si es un error, pida un enlace de invitación nuevo a su clínica. Si necesita ayuda ahora:\n{crisis}",
	EditNoted:      "Vi que editó un mensaje. Las ediciones no cambian una respuesta ya dada: si algo cambió, envíelo como mensaje nuevo.",
	PatientHelp:    "Esto es lo que puedo hacer:\n{commands}\n\nSi en algún momento se siente en peligro:\n{crisis}",
	CmdStatus:      "dónde está",
	CmdResume:      "ver de nuevo la pregunta actual",
	CmdCancel:      "detener el cuestionario actual",
	CmdLanguage:    "elegir su idioma",
	CmdHelp:        "lo que puedo hacer",
	StatusReady:    "Puede hacer su revisión de seguridad antes de una dosis cuando esté listo ({cmd:check}).",
	StatusInFlow:   "Está a mitad de: {title}, {progress}. Envíe /resume para ver de nuevo la pregunta, o /cancel para detenerlo.",
	StatusIdle:     "Ahora no está en ningún cuestionario.",
	StatusCleared:  "Su última revisión de seguridad le dio el visto bueno a las {time}.",
	StatusNotTaken: "No ha registrado que tomó esa dosis.",
	StatusTaken:    "Registró que tomó su dosis a las {time}.",
	Progress:       "Pregunta {n} de {total}",
	ProgressSoFar:  "{n} respondidas hasta ahora",
	StatusProgress: "pregunta {n} de {total}, {answered} respondidas hasta ahora",
	LanguageName:   "Español",
	LanguageAsk:    "¿En qué idioma prefiere que le escriba? Puede cambiarlo cuando quiera con /language.",
	LanguageSet:    "De acuerdo, le escribiré en español.",
	UnitDay:        "día|días",
	UnitHour:       "hora|horas",
	UnitMinute:     "minuto|minutos",
	UnitSecond:     "segundo|segundos",
	AnHour:         "una hora",
	GoodMorning:    "¡Buenos días!",
	GoodAfternoon:  "¡Buenas tardes!",
	GoodEvening:    "¡Buenas noches!",
	StatusSchedule: "Su día de dosis es {day} a las {time} (hora de {tz}); se lo recordaré entonces.",
}
